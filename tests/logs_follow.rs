//! `--follow` survives rotation: lines are appended while the file is renamed and
//! recreated (the writer keeps writing to the old file for a while, as nginx does until
//! it gets USR1), and while it is copy-truncated, many times; every line is counted
//! exactly once. The tool runs as a subprocess with `--format jsonl --interval 100ms` and
//! is stopped with SIGTERM; its last object must hold the totals.

mod common;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const FORMAT: &str = "$remote_addr [$time_local] $status \"$ssl_client_verify\" $request_id";
const VERIFY: [&str; 4] = [
    "SUCCESS",
    "NONE",
    "FAILED:certificate has expired",
    "FAILED:unable to get local issuer certificate",
];

fn line(i: usize) -> String {
    let status = if i.is_multiple_of(4) { 200 } else { 400 };
    format!(
        "10.0.{}.{} [27/Nov/2026:05:24:58 +0000] {status} \"{}\" req-{i:08}\n",
        i / 250 % 250,
        i % 250,
        VERIFY[i % 4]
    )
}

fn append(p: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .unwrap()
}

fn sigterm(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}

#[test]
fn follow_counts_every_line_once_across_rotations() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("access.log");
    let rotated = dir.join("access.log.1");
    // The file does not exist yet: the tool waits for it.
    let mut child = common::tool()
        .args([
            "logs",
            "--follow",
            "--format",
            "jsonl",
            "--interval",
            "100ms",
            "--kind",
            "access",
        ])
        .arg("--log-format-string")
        .arg(FORMAT)
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Read stdout while the tool runs: a full pipe would block it.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    std::thread::sleep(Duration::from_millis(300));

    const N: usize = 3000;
    const EVERY: usize = 100;
    let mut w = append(&path);
    let mut renames = 0;
    let mut truncations = 0;
    let mut reopen_at: Option<usize> = None;
    for i in 0..N {
        let l = line(i);
        if i % 37 == 5 {
            // A line written in two parts: the first part must wait for its newline.
            let (a, b) = l.split_at(l.len() / 2);
            w.write_all(a.as_bytes()).unwrap();
            w.flush().unwrap();
            std::thread::sleep(Duration::from_millis(30));
            w.write_all(b.as_bytes()).unwrap();
        } else {
            w.write_all(l.as_bytes()).unwrap();
        }
        if reopen_at == Some(i) {
            // nginx got USR1: from now on it writes to the new file.
            w = append(&path);
            reopen_at = None;
        }
        if i > 0 && i.is_multiple_of(EVERY) {
            // As logrotate does: shift the previous rotation away first.
            if rotated.exists() {
                fs::rename(&rotated, dir.join("access.log.2")).unwrap();
            }
            if (i / EVERY).is_multiple_of(2) {
                // logrotate `create`: rename, create the new file; the writer keeps
                // writing to the old file for a few more lines before it reopens.
                fs::rename(&path, &rotated).unwrap();
                File::create(&path).unwrap();
                reopen_at = Some(i + 7);
                renames += 1;
            } else {
                // logrotate `copytruncate`: copy, then truncate in place.
                fs::copy(&path, &rotated).unwrap();
                OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .unwrap()
                    .set_len(0)
                    .unwrap();
                truncations += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(700));
    }
    w.flush().unwrap();
    drop(w);
    assert!(renames >= 10 && truncations >= 10);
    std::thread::sleep(Duration::from_millis(400));
    sigterm(pid);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = reader.join().unwrap();
    let objects: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        objects.len() >= 3,
        "one object per interval: {}",
        objects.len()
    );
    let last = objects.last().unwrap();
    assert_eq!(last["final"], true);
    let totals = &last["totals"];
    assert_eq!(totals["lines"]["access"], N, "{:#}", totals["lines"]);
    assert_eq!(
        totals["lines"]["matched"], N,
        "{:#}",
        totals["unmatched_samples"]
    );
    assert_eq!(
        totals["lines"]["unmatched"], 0,
        "{:#}",
        totals["unmatched_samples"]
    );
    assert_eq!(
        totals["verify"],
        json!({
            "SUCCESS": N / 4,
            "NONE": N / 4,
            "FAILED:certificate has expired": N / 4,
            "FAILED:unable to get local issuer certificate": N / 4,
        })
    );
    assert_eq!(totals["status"], json!({"200": N / 4, "400": 3 * N / 4}));
    // The intervals add up to the totals.
    let mut sum = 0u64;
    for o in &objects {
        sum += o["interval"]["lines"]["access"].as_u64().unwrap();
    }
    assert_eq!(sum, N as u64);
    assert_eq!(totals["schema_version"], 1);
}

#[test]
fn follow_writes_final_summary_on_sigint_and_waits_for_newline() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("a.log");
    fs::write(&path, format!("{}{}", line(0), line(1))).unwrap();
    let child = common::tool()
        .args([
            "logs",
            "--follow",
            "--format",
            "jsonl",
            "--interval",
            "100ms",
        ])
        .arg("--log-format-string")
        .arg(FORMAT)
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // A last line without its newline.
    let mut w = append(&path);
    w.write_all(line(2).trim_end().as_bytes()).unwrap();
    drop(w);
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let objects: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // While following, the last line waits for its newline ...
    let before = &objects[objects.len() - 2];
    assert_eq!(before["final"], false);
    assert_eq!(before["totals"]["lines"]["access"], 2);
    // ... and the final object counts it, as batch mode does (issue #19, item 6).
    let last = objects.last().unwrap();
    assert_eq!(last["final"], true);
    assert_eq!(last["totals"]["lines"]["access"], 3);
    assert_eq!(last["totals"]["lines"]["matched"], 3);
}
