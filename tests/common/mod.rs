//! Shared helpers for integration tests: the real nginx binary on loopback, started with
//! its own `-p`/`-c` in a temporary directory and stopped by its PID.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Whether the external tools a test needs are present. When one is missing the test
/// prints a visible SKIP line and returns false, unless `REQUIRE_NGINX=1` (as in CI),
/// where a missing tool fails the test.
pub fn have_tools(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| find_binary(t).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("REQUIRE_NGINX").is_ok_and(|v| v == "1") {
        panic!("REQUIRE_NGINX=1 but {missing:?} not found on PATH");
    }
    eprintln!(
        "SKIP: {missing:?} not installed; install them (apt-get install nginx openssl curl) to run this test"
    );
    false
}

/// The path of a binary, searching PATH and the sbin directories nginx lives in.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

pub fn nginx_bin() -> PathBuf {
    find_binary("nginx").unwrap_or_else(|| PathBuf::from("nginx"))
}

/// Now, in unix seconds (certificates made relative to it do not rot).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A free TCP port on 127.0.0.1, never one this process was given before: the kernel
/// may hand out a released port again, and two servers of one test configuration on
/// the same port would silently share a socket.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..1000 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("no free port on 127.0.0.1");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
    panic!("no port on 127.0.0.1 that this test process was not given already");
}

/// The lines every test configuration needs so that nginx writes only inside `dir`.
pub fn preamble(dir: &Path) -> String {
    let d = dir.display();
    let user = if is_root() { "user root root;\n" } else { "" };
    format!(
        "{user}worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\nevents {{ worker_connections 64; }}\n"
    )
}

/// Temp paths for an `http {}` block, inside `dir`.
pub fn http_temp_paths(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "client_body_temp_path {d}/tmp/body; proxy_temp_path {d}/tmp/proxy; fastcgi_temp_path {d}/tmp/fastcgi; uwsgi_temp_path {d}/tmp/uwsgi; scgi_temp_path {d}/tmp/scgi;\n"
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `nginx -t` (or another flag such as `-T`) on a configuration, with `dir` as prefix.
pub fn nginx_check(dir: &Path, conf: &Path, flag: &str) -> Output {
    std::fs::create_dir_all(dir.join("tmp")).ok();
    std::fs::create_dir_all(dir.join("logs")).ok();
    Command::new(nginx_bin())
        .arg(flag)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(conf)
        .output()
        .expect("cannot run nginx")
}

/// A running nginx, stopped (by PID) when dropped.
pub struct Nginx {
    pub dir: PathBuf,
    pub pid: u32,
}

impl Nginx {
    /// Starts nginx on `conf`, with `dir` as prefix; waits until its PID file exists
    /// and `port` accepts connections.
    pub fn start(dir: &Path, conf: &Path, port: u16) -> Result<Nginx, String> {
        std::fs::create_dir_all(dir.join("tmp")).ok();
        std::fs::create_dir_all(dir.join("logs")).ok();
        let out = Command::new(nginx_bin())
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(conf)
            .output()
            .map_err(|e| format!("cannot run nginx: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let pid_file = dir.join("nginx.pid");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(s) = std::fs::read_to_string(&pid_file)
                && let Ok(pid) = s.trim().parse::<u32>()
                && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            {
                return Ok(Nginx {
                    dir: dir.to_path_buf(),
                    pid,
                });
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "nginx did not come up on port {port}; error.log:\n{}",
                    std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Asks nginx to reopen its log files (as logrotate does), by signal to its PID.
    pub fn reopen_logs(&self) {
        let _ = Command::new("kill")
            .arg("-USR1")
            .arg(self.pid.to_string())
            .status();
    }

    /// Asks nginx to reload its configuration (`nginx -s reload`), by signal to its PID.
    pub fn reload(&self) {
        let _ = Command::new("kill")
            .arg("-HUP")
            .arg(self.pid.to_string())
            .status();
    }

    pub fn stop(&mut self) {
        if self.pid == 0 {
            return;
        }
        let _ = Command::new("kill")
            .arg("-QUIT")
            .arg(self.pid.to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{}", self.pid)).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if Path::new(&format!("/proc/{}", self.pid)).exists() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(self.pid.to_string())
                .status();
        }
        self.pid = 0;
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The built `nginx-mtls-lint` binary.
pub fn tool() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nginx-mtls-lint"))
}

/// The version of the nginx under test, as `nginx -v` prints it (`1.22.1`).
pub fn nginx_version() -> String {
    let out = Command::new(nginx_bin())
        .arg("-v")
        .output()
        .expect("cannot run nginx -v");
    String::from_utf8_lossy(&out.stderr)
        .split('/')
        .nth(1)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// `nginx -t` on `conf` with `prefix` as prefix, its pid and error log in `scratch`.
pub fn nginx_t_in(prefix: &Path, conf: &Path, scratch: &Path) -> Output {
    let d = scratch.display();
    Command::new(nginx_bin())
        .arg("-t")
        .arg("-p")
        .arg(format!("{}/", prefix.display()))
        .arg("-c")
        .arg(conf)
        .arg("-g")
        .arg(format!("pid {d}/nginx.pid; error_log {d}/error.log;"))
        .output()
        .expect("cannot run nginx")
}

/// nginx's first `[emerg]` on stderr: the message (without time, pid and `in FILE:LINE`)
/// and the line, when it names `conf`.
pub fn emerg(stderr: &str, conf: &Path) -> (String, Option<usize>) {
    let emerg = stderr
        .lines()
        .find_map(|l| l.split("[emerg] ").nth(1))
        .map(|l| l.split_once(": ").map_or(l, |(_, m)| m).to_string())
        .unwrap_or_default();
    match emerg.rsplit_once(&format!(" in {}:", conf.display())) {
        Some((m, l)) => (m.to_string(), l.trim().parse().ok()),
        None => (emerg.clone(), None),
    }
}

/// The OpenSSL release line the installed nginx runs with (`nginx -V`); 3.0 without nginx.
#[allow(dead_code)]
pub fn nginx_openssl() -> nginx_mtls_lint::certs::profile::Openssl {
    let out = Command::new(nginx_bin()).arg("-V").output();
    out.ok()
        .and_then(|o| {
            nginx_mtls_lint::util::parse_nginx_v(&String::from_utf8_lossy(&o.stderr)).running_with
        })
        .and_then(|r| nginx_mtls_lint::certs::profile::Openssl::parse(&r).ok())
        .unwrap_or(nginx_mtls_lint::certs::profile::Openssl::DEBIAN_12)
}
