//! `--follow` and every way a log is rotated (issue #19). Writers number every line
//! (`req-NNNNNNNN`); after the rotations the test reads every file left on disk
//! (decompressing `.gz`), and checks that the tool counted each of those lines exactly
//! once, plus the lines that copytruncate itself removed, which it must report in
//! `rotation.lost_lines`. A "lagging follower" is made by stopping the tool (SIGSTOP)
//! while files rotate, and resuming it (SIGCONT). Signals: SIGTERM/SIGINT stop at once
//! with a final object, SIGQUIT reads everything first, SIGHUP/SIGUSR1 print a summary
//! and go on.

mod common;

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

const FORMAT: &str = "$remote_addr [$time_local] $status \"$ssl_client_verify\" $request_id";

fn line(i: usize) -> String {
    format!(
        "10.0.0.{} [27/Nov/2026:05:24:58 +0000] 200 \"SUCCESS\" req-{i:08}\n",
        i % 250
    )
}

fn append(p: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .unwrap()
}

fn write_lines(w: &mut File, range: std::ops::Range<usize>) {
    let mut s = String::new();
    for i in range {
        s.push_str(&line(i));
    }
    w.write_all(s.as_bytes()).unwrap();
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// The tool following files, its jsonl objects arriving on a channel.
struct Follower {
    child: Child,
    rx: Receiver<Value>,
    seen: Vec<Value>,
}

impl Follower {
    fn start(extra: &[&str], files: &[&Path]) -> Follower {
        let mut cmd = common::tool();
        cmd.args(["logs", "--follow", "--format", "jsonl"]);
        if !extra.contains(&"--interval") {
            cmd.args(["--interval", "100ms"]);
        }
        cmd.args(extra);
        for f in files {
            cmd.arg(f);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(stdout).lines() {
                let Ok(l) = l else { break };
                let v: Value = serde_json::from_str(&l).unwrap_or_else(|e| panic!("{e}: {l}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Follower {
            child,
            rx,
            seen: Vec::new(),
        }
    }

    /// Started with the numbered-line format.
    fn numbered(extra: &[&str], files: &[&Path]) -> Follower {
        let mut a = vec!["--kind", "access", "--log-format-string", FORMAT];
        a.extend_from_slice(extra);
        Follower::start(&a, files)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next object, within `timeout`.
    fn next(&mut self, timeout: Duration) -> Option<Value> {
        let v = self.rx.recv_timeout(timeout).ok()?;
        self.seen.push(v.clone());
        Some(v)
    }

    /// Waits (at most 20 s) until the totals hold `n` access lines; returns the last object.
    fn wait_for(&mut self, n: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self
                .next(Duration::from_secs(2))
                .expect("the tool stopped writing objects");
            if v["totals"]["lines"]["access"].as_u64() >= Some(n) || Instant::now() > deadline {
                return v;
            }
        }
    }

    /// Sends `sig` and returns the final object; the tool must exit 0 within `within`.
    fn stop(mut self, sig: &str, within: Duration) -> Value {
        signal(self.pid(), sig);
        let t0 = Instant::now();
        let last = loop {
            let v = self
                .next(within + Duration::from_secs(5))
                .expect("no final object");
            if v["final"] == true {
                break v;
            }
        };
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                t0.elapsed() < within + Duration::from_secs(5),
                "did not exit"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(
            t0.elapsed() < within,
            "{sig}: exited after {:?}",
            t0.elapsed()
        );
        assert_eq!(status.code(), Some(0));
        last
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        signal(self.pid(), "CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every numbered line in the files of `dir` whose name starts with `prefix`
/// (`.gz` decompressed): id -> how many times.
fn on_disk(dir: &Path, prefix: &str) -> HashMap<u64, u32> {
    let mut ids = on_disk_one(dir, prefix);
    for (k, v) in on_disk_one(dir, "kept.") {
        *ids.entry(k).or_insert(0) += v;
    }
    ids
}

fn on_disk_one(dir: &Path, prefix: &str) -> HashMap<u64, u32> {
    let mut ids = HashMap::new();
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(prefix) || !e.file_type().unwrap().is_file() {
            continue;
        }
        let raw = fs::read(e.path()).unwrap();
        let text = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut s = Vec::new();
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut s)
                .unwrap();
            s
        } else {
            raw
        };
        for l in text.split(|c| *c == b'\n') {
            if let Some(p) = l.windows(4).position(|w| w == b"req-") {
                let digits = &l[p + 4..];
                if digits.len() >= 8
                    && let Ok(n) = std::str::from_utf8(&digits[..8]).unwrap().parse()
                {
                    *ids.entry(n).or_insert(0) += 1;
                }
            }
        }
    }
    ids
}

fn access(v: &Value) -> u64 {
    v["totals"]["lines"]["access"].as_u64().unwrap()
}

fn lost(v: &Value) -> u64 {
    v["rotation"]["lost_lines"].as_u64().unwrap()
}

/// The lines on disk are all distinct, and the tool counted exactly them plus the ones
/// it reported lost.
fn check_exact(last: &Value, dir: &Path, prefix: &str, written: usize) {
    let ids = on_disk(dir, prefix);
    assert!(ids.values().all(|&c| c == 1), "a line is on disk twice");
    assert!(ids.len() <= written);
    assert_eq!(
        access(last) - lost(last),
        ids.len() as u64,
        "counted {} (lost {}), on disk {} of {written}: {}",
        access(last),
        lost(last),
        ids.len(),
        last["rotation"]
    );
    assert_eq!(last["totals"]["lines"]["unmatched"], 0);
}

/// Stops the tool (a lagging follower) while `f` runs.
fn paused<T>(pid: u32, f: impl FnOnce() -> T) -> T {
    signal(pid, "STOP");
    std::thread::sleep(Duration::from_millis(50));
    let r = f();
    signal(pid, "CONT");
    r
}

fn copytruncate(path: &Path, to: &Path) {
    fs::copy(path, to).unwrap();
    OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(0)
        .unwrap();
}

fn gzip(path: &Path) {
    let data = fs::read(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        File::create(format!("{}.gz", path.display())).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&data).unwrap();
    gz.finish().unwrap();
    fs::remove_file(path).unwrap();
}

// Item 1: without --kind, the line that decides the kind was counted twice.
#[test]
fn undecided_kind_counts_the_deciding_line_once() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.log");
    let b = tmp.path().join("b.log");
    let mut s = String::new();
    for i in 0..25 {
        s.push_str(&line(i));
    }
    fs::write(&a, &s).unwrap();
    // The first line alone is 32 KiB or more.
    let long = format!("{}\n", "x".repeat(40 << 10));
    fs::write(&b, format!("{long}{}{}", line(0), line(1))).unwrap();
    let mut f = Follower::start(&["--log-format-string", FORMAT], &[&a, &b]);
    f.wait_for(28);
    let last = f.stop("TERM", Duration::from_secs(1));
    assert_eq!(access(&last), 28, "{:#}", last["totals"]["lines"]);
    assert_eq!(last["totals"]["files"].as_array().unwrap().len(), 2);
}

// Items 5 and 6: old workers keep writing to the renamed file long after the new file
// got data; a last line without its newline counts when the file is closed.
#[test]
fn renamed_file_read_while_old_workers_write_and_partial_line_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("access.log");
    let mut w = append(&path);
    write_lines(&mut w, 0..100);
    let mut f = Follower::numbered(&["--rotate-grace", "1500ms"], &[&path]);
    f.wait_for(100);
    fs::rename(&path, dir.join("access.log.1")).unwrap();
    let mut new = append(&path);
    write_lines(&mut new, 100..150);
    // Late writes to the old file, 3 s after the new file got data (the old default
    // dropped it after 2 s).
    for k in 0..6 {
        std::thread::sleep(Duration::from_millis(500));
        write_lines(&mut w, 150 + k * 10..160 + k * 10);
    }
    // A last line without its newline; then the old writer is gone.
    w.write_all(line(210).trim_end().as_bytes()).unwrap();
    drop(w);
    f.wait_for(210);
    // Closed after the grace: its partial line is counted then, before the final object.
    let v = f.wait_for(211);
    assert_eq!(access(&v), 211);
    assert_eq!(v["final"], false);
    write_lines(&mut new, 211..220);
    // Another partial line in the current file: counted by the final object (SIGTERM).
    new.write_all(line(220).trim_end().as_bytes()).unwrap();
    f.wait_for(220);
    let last = f.stop("TERM", Duration::from_secs(1));
    assert_eq!(access(&last), 221);
    check_exact(&last, dir, "access.log", 221);
    assert_eq!(last["rotation"]["renamed"], 1);
}

// Item 2: copytruncate, and the file regrows past the old offset before the next poll.
#[test]
fn copytruncate_regrown_before_the_next_poll() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("access.log");
    let mut w = append(&path);
    write_lines(&mut w, 0..100);
    let mut f = Follower::numbered(&[], &[&path]);
    f.wait_for(100);
    paused(f.pid(), || {
        write_lines(&mut w, 100..120);
        copytruncate(&path, &dir.join("access.log.1"));
        // More than was there before the truncation.
        write_lines(&mut w, 120..400);
    });
    f.wait_for(400);
    let last = f.stop("TERM", Duration::from_secs(1));
    check_exact(&last, dir, "access.log", 400);
    assert_eq!(access(&last), 400);
    assert_eq!(last["rotation"]["truncated"], 1);
}

// Item 3: copytruncate + compress without delaycompress: the unread tail is in a .gz.
#[test]
fn copytruncate_tail_read_from_the_gz_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("access.log");
    let mut w = append(&path);
    write_lines(&mut w, 0..100);
    let mut f = Follower::numbered(&[], &[&path]);
    f.wait_for(100);
    paused(f.pid(), || {
        write_lines(&mut w, 100..150);
        let r1 = dir.join("access.log.1");
        copytruncate(&path, &r1);
        gzip(&r1);
        write_lines(&mut w, 150..160);
    });
    f.wait_for(160);
    let last = f.stop("TERM", Duration::from_secs(1));
    check_exact(&last, dir, "access.log", 160);
    assert_eq!(access(&last), 160);
}

// Item 4: two rotations between two polls, by rename and by copytruncate (+ compress).
#[test]
fn two_rotations_between_two_polls() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("access.log");
    let mut w = append(&path);
    write_lines(&mut w, 0..100);
    let mut f = Follower::numbered(&[], &[&path]);
    f.wait_for(100);
    paused(f.pid(), || {
        write_lines(&mut w, 100..110);
        fs::rename(&path, dir.join("access.log.1")).unwrap();
        let mut w2 = append(&path);
        write_lines(&mut w2, 110..200);
        fs::rename(dir.join("access.log.1"), dir.join("access.log.2")).unwrap();
        fs::rename(&path, dir.join("access.log.1")).unwrap();
        w = append(&path);
        write_lines(&mut w, 200..210);
    });
    f.wait_for(210);
    paused(f.pid(), || {
        write_lines(&mut w, 210..220);
        copytruncate(&path, &dir.join("access.log.0"));
        gzip(&dir.join("access.log.0"));
        write_lines(&mut w, 220..230);
        copytruncate(&path, &dir.join("access.log.00"));
        write_lines(&mut w, 230..235);
    });
    f.wait_for(235);
    let last = f.stop("TERM", Duration::from_secs(1));
    check_exact(&last, dir, "access.log", 235);
    assert_eq!(access(&last), 235);
}

// Delete and recreate, with a writer that keeps the deleted file for a while.
#[test]
fn delete_and_recreate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("access.log");
    let mut w = append(&path);
    write_lines(&mut w, 0..50);
    let mut f = Follower::numbered(&["--rotate-grace", "500ms"], &[&path]);
    f.wait_for(50);
    fs::remove_file(&path).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    write_lines(&mut w, 50..60); // still open: read from the deleted file
    let mut w2 = append(&path);
    write_lines(&mut w2, 60..80);
    write_lines(&mut w, 80..90);
    drop(w);
    f.wait_for(90);
    let last = f.stop("TERM", Duration::from_secs(1));
    assert_eq!(access(&last), 90);
}

// Item 7: a .gz named on the command line is decompressed.
#[test]
fn gz_named_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("old.log");
    let mut w = append(&p);
    write_lines(&mut w, 0..300);
    drop(w);
    gzip(&p);
    let gz = tmp.path().join("old.log.gz");
    let mut f = Follower::numbered(&[], &[&gz]);
    f.wait_for(300);
    let last = f.stop("TERM", Duration::from_secs(1));
    assert_eq!(access(&last), 300);
    assert_eq!(last["totals"]["lines"]["matched"], 300);
}

// Several writers, every rotation, a lagging follower, many times.
#[test]
fn several_writers_every_rotation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let path = dir.join("access.log");
    File::create(&path).unwrap();
    let mut f = Follower::numbered(&["--rotate-grace", "2s"], &[&path]);
    let pid = f.pid();
    f.next(Duration::from_secs(5)).unwrap();
    const WRITERS: usize = 3;
    const PER: usize = 3000;
    let stop_reopen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut handles = Vec::new();
    for k in 0..WRITERS {
        let path = path.clone();
        let gen_ = stop_reopen.clone();
        handles.push(std::thread::spawn(move || {
            let mut w = append(&path);
            let mut seen = 0;
            for i in 0..PER {
                let id = k * PER + i;
                w.write_all(line(id).as_bytes()).unwrap();
                // A writer reopens some lines after a rotation (as nginx's workers do
                // on USR1), writer k later than writer k-1.
                let g = gen_.load(std::sync::atomic::Ordering::Relaxed);
                if g != seen && i % (5 + 7 * k) == 0 {
                    seen = g;
                    w = append(&path);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }));
    }
    let mut rounds = 0u64;
    let t0 = Instant::now();
    while handles.iter().any(|h| !h.is_finished()) && t0.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(120));
        rounds += 1;
        // Every rotated file gets a name of its own, so that none is overwritten:
        // what is on disk at the end is every line that survived the rotations.
        let mut seq = rounds * 10;
        let mut r1 = || {
            seq += 1;
            dir.join(format!("access.log.{seq}"))
        };
        let reopen = || stop_reopen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match rounds % 5 {
            0 => {
                fs::rename(&path, r1()).unwrap();
                File::create(&path).unwrap();
                reopen();
            }
            1 => copytruncate(&path, &r1()),
            2 => paused(pid, || {
                fs::rename(&path, r1()).unwrap();
                File::create(&path).unwrap();
                reopen();
                std::thread::sleep(Duration::from_millis(30));
                fs::rename(&path, r1()).unwrap();
                File::create(&path).unwrap();
                reopen();
                std::thread::sleep(Duration::from_millis(30));
            }),
            3 => paused(pid, || {
                let r = r1();
                copytruncate(&path, &r);
                gzip(&r);
                std::thread::sleep(Duration::from_millis(30));
            }),
            _ => {
                // Deleted (its lines kept on disk under another name, for the check).
                fs::hard_link(&path, dir.join(format!("kept.{rounds}"))).unwrap();
                fs::remove_file(&path).unwrap();
                File::create(&path).unwrap();
                reopen();
            }
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    assert!(rounds >= 10, "only {rounds} rotations");
    let ids = on_disk(&dir, "access.log");
    // Wait until the tool has read all that is on disk (plus what it reported lost).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut v = f.next(Duration::from_secs(2)).unwrap();
    while access(&v) - lost(&v) < ids.len() as u64 && Instant::now() < deadline {
        v = f.next(Duration::from_secs(2)).unwrap();
    }
    let last = f.stop("TERM", Duration::from_secs(1));
    check_exact(&last, &dir, "access.log", WRITERS * PER);
}

// Item 3 with the real logrotate: copytruncate with and without compress/delaycompress.
fn with_logrotate(options: &str) {
    if !common::have_tools(&["logrotate"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let path = dir.join("access.log");
    let conf = dir.join("logrotate.conf");
    fs::write(
        &conf,
        format!(
            "{} {{\n  rotate 20\n  copytruncate\n  {options}\n  missingok\n}}\n",
            path.display()
        ),
    )
    .unwrap();
    let mut w = append(&path);
    let mut f = Follower::numbered(&[], &[&path]);
    let pid = f.pid();
    // Files present when it starts are old generations, not read: wait until it runs.
    f.next(Duration::from_secs(5)).unwrap();
    let mut n = 0;
    for round in 0..8 {
        let next = n + 200;
        write_lines(&mut w, n..next);
        n = next;
        let rotate = || {
            let out = Command::new(common::find_binary("logrotate").unwrap())
                .arg("-f")
                .arg("-s")
                .arg(dir.join("state"))
                .arg(&conf)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        if round % 2 == 0 {
            // A lagging follower: the unread tail goes into the rotated copy. (It is
            // stopped while asleep, between two polls, not inside a read.)
            f.wait_for((n - 200) as u64);
            paused(pid, rotate);
        } else {
            std::thread::sleep(Duration::from_millis(150));
            rotate();
        }
        write_lines(&mut w, n..n + 20);
        n += 20;
    }
    let ids = on_disk(&dir, "access.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut v = f.next(Duration::from_secs(2)).unwrap();
    while access(&v) - lost(&v) < ids.len() as u64 && Instant::now() < deadline {
        v = f.next(Duration::from_secs(2)).unwrap();
    }
    let last = f.stop("TERM", Duration::from_secs(1));
    check_exact(&last, &dir, "access.log", n);
    // No writer runs during logrotate's copy here: nothing is lost.
    assert_eq!(access(&last), n as u64, "{}", last["rotation"]);
}

#[test]
fn logrotate_copytruncate() {
    with_logrotate("");
}

#[test]
fn logrotate_copytruncate_compress() {
    with_logrotate("compress");
}

#[test]
fn logrotate_copytruncate_compress_delaycompress() {
    with_logrotate("compress\n  delaycompress");
}

// Lines written during copytruncate's window (after the copy, before the truncation)
// that the tool had read are reported lost, with their count.
#[test]
fn copytruncate_window_losses_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("access.log");
    let mut w = append(&path);
    write_lines(&mut w, 0..100);
    let mut f = Follower::numbered(&[], &[&path]);
    f.wait_for(100);
    let r1 = dir.join("access.log.1");
    fs::copy(&path, &r1).unwrap();
    // Written after the copy: the tool reads them ...
    write_lines(&mut w, 100..117);
    f.wait_for(117);
    // ... then the truncation removes them from disk.
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    write_lines(&mut w, 117..130);
    let v = f.wait_for(130);
    let last = f.stop("TERM", Duration::from_secs(1));
    assert_eq!(lost(&v).max(lost(&last)), 17, "{}", last["rotation"]);
    assert!(
        last["totals"]["hints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h.as_str().unwrap().contains("copytruncate removed lines")),
        "{:#}",
        last["totals"]["hints"]
    );
    check_exact(&last, dir, "access.log", 130);
}

// Item 8: SIGTERM with a multi-GB backlog exits within 1 s with a final object, and the
// interval summaries keep coming while it reads.
#[test]
fn sigterm_with_a_multi_gigabyte_backlog() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.log");
    let mut w = append(&path);
    // 16 MB of real lines, then a sparse 16 GiB: little disk used.
    for k in 0..20 {
        write_lines(&mut w, k * 10_000..(k + 1) * 10_000);
    }
    drop(w);
    let f0 = OpenOptions::new().write(true).open(&path).unwrap();
    f0.set_len(16 << 30).unwrap();
    drop(f0);
    let mut f = Follower::numbered(&[], &[&path]);
    // Summaries on time while the backlog is read.
    let t0 = Instant::now();
    let mut n = 0;
    while n < 3 {
        assert!(
            f.next(Duration::from_millis(1500)).is_some(),
            "a summary is late"
        );
        n += 1;
    }
    assert!(t0.elapsed() < Duration::from_secs(3));
    let last = f.stop("TERM", Duration::from_secs(1));
    assert_eq!(last["final"], true);
    drop(tmp);
}

// Item 9: SIGHUP and SIGUSR1 print a summary and go on; SIGQUIT reads everything, then
// stops with a final object; SIGINT stops at once (tests/logs_follow.rs).
#[test]
fn every_signal() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("a.log");
    let mut w = append(&path);
    write_lines(&mut w, 0..10);
    let mut f = Follower::numbered(&["--interval", "1h"], &[&path]);
    std::thread::sleep(Duration::from_millis(300));
    for sig in ["HUP", "USR1", "HUP"] {
        let t0 = Instant::now();
        signal(f.pid(), sig);
        let v = f
            .next(Duration::from_secs(2))
            .expect("no summary on signal");
        assert!(t0.elapsed() < Duration::from_secs(1));
        assert_eq!(v["final"], false, "{sig}");
        assert_eq!(access(&v), 10, "{sig}");
        assert!(f.child.try_wait().unwrap().is_none(), "{sig} stopped it");
    }
    // A backlog, then SIGQUIT at once: everything is read before the final object.
    for k in 0..10 {
        write_lines(&mut w, 10 + k * 20_000..10 + (k + 1) * 20_000);
    }
    let last = f.stop("QUIT", Duration::from_secs(15));
    assert_eq!(access(&last), 200_010);
}

// Real nginx: USR1 reopens under load from `ab`; the count equals nginx's access log.
#[test]
fn nginx_usr1_reopens_under_ab_load() {
    if !common::have_tools(&["nginx", "ab"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = common::free_port();
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).unwrap();
    let access_log = logs.join("access.log");
    let conf = dir.join("nginx.conf");
    fs::write(
        &conf,
        format!(
            "{}http {{\n{}access_log {} combined;\nserver {{ listen 127.0.0.1:{port}; location / {{ return 200 \"ok\\n\"; }} }}\n}}\n",
            common::preamble(dir),
            common::http_temp_paths(dir),
            access_log.display()
        ),
    )
    .unwrap();
    let mut nginx = common::Nginx::start(dir, &conf, port).unwrap();
    let mut f = Follower::start(
        &["--kind", "access", "--log-format", "combined"],
        &[&access_log],
    );
    const N: usize = 20_000;
    let mut ab = Command::new(common::find_binary("ab").unwrap())
        .args(["-q", "-k", "-c", "8", "-n", &N.to_string()])
        .arg(format!("http://127.0.0.1:{port}/"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut rotations = 0;
    let t0 = Instant::now();
    while ab.try_wait().unwrap().is_none() && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(150));
        for n in (1..20).rev() {
            let a = logs.join(format!("access.log.{n}"));
            if a.exists() {
                fs::rename(&a, logs.join(format!("access.log.{}", n + 1))).unwrap();
            }
        }
        fs::rename(&access_log, logs.join("access.log.1")).unwrap();
        nginx.reopen_logs();
        rotations += 1;
    }
    assert!(ab.wait().unwrap().success());
    assert!(rotations >= 2, "ab finished before any rotation");
    std::thread::sleep(Duration::from_millis(300));
    nginx.stop();
    let ids: usize = fs::read_dir(&logs)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("access.log"))
        .map(|e| {
            fs::read(e.path())
                .unwrap()
                .iter()
                .filter(|&&c| c == b'\n')
                .count()
        })
        .sum();
    assert_eq!(ids, N, "nginx's access log");
    f.wait_for(N as u64);
    let last = f.stop("TERM", Duration::from_secs(1));
    assert_eq!(access(&last), N as u64, "{}", last["rotation"]);
    assert_eq!(last["totals"]["lines"]["matched"], N as u64);
}
