//! Running processes (`/proc/*/cmdline`): which Kubernetes components run on the node and
//! with which command line. Only command lines are read, never `environ` (it can hold
//! credentials, and reading another user's needs ptrace rights).

use crate::flags::Token;
use crate::origin::Origin;
use std::path::Path;

/// The components recognised, by program name.
pub const COMPONENTS: &[&str] = &[
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "etcd",
    "kubelet",
    "kube-proxy",
];

/// A process running one of [`COMPONENTS`].
#[derive(Debug, Clone)]
pub struct Process {
    pub pid: u32,
    pub component: &'static str,
    /// The command line, program first, each word with its `/proc` origin.
    pub words: Vec<Token>,
}

/// Command lines longer than this are not a component's (and are not read further).
const MAX_CMDLINE: usize = 1 << 20;

/// Every process of a Kubernetes component under `proc_dir`, by pid. Processes that vanish
/// or cannot be read while scanning are skipped.
pub fn scan(proc_dir: &Path) -> Vec<Process> {
    let Ok(rd) = std::fs::read_dir(proc_dir) else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = rd
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    let mut out = Vec::new();
    for pid in pids {
        let Some(bytes) = read_cmdline(&proc_dir.join(pid.to_string()).join("cmdline")) else {
            continue;
        };
        if bytes.is_empty() || bytes.len() > MAX_CMDLINE {
            continue;
        }
        let argv: Vec<String> = bytes
            .split(|&b| b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let mut argv = argv;
        if argv.last().is_some_and(String::is_empty) {
            argv.pop();
        }
        if let Some((component, skip)) = identify(&argv) {
            let words = argv
                .into_iter()
                .enumerate()
                .skip(skip)
                .map(|(i, w)| Token::new(w, Origin::Process { pid, arg: i }))
                .collect();
            out.push(Process {
                pid,
                component,
                words,
            });
        }
    }
    out
}

/// A `cmdline` file, bounded; only regular files (a copied root could hold anything).
fn read_cmdline(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read as _;
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_CMDLINE as u64 + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

/// The component a command line runs and how many leading words to drop so that the
/// program is first (`hyperkube kubelet ...` drops `hyperkube`).
fn identify(argv: &[String]) -> Option<(&'static str, usize)> {
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    let first = base(argv.first()?);
    if let Some(c) = COMPONENTS.iter().find(|c| **c == first) {
        return Some((c, 0));
    }
    if first == "hyperkube" {
        let second = base(argv.get(1)?);
        let name = match second.as_str() {
            "apiserver" => "kube-apiserver",
            "controller-manager" => "kube-controller-manager",
            "scheduler" => "kube-scheduler",
            "proxy" => "kube-proxy",
            other => other,
        };
        return COMPONENTS.iter().find(|c| **c == name).map(|c| (*c, 1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_components_and_ignores_the_rest() {
        let t = tempfile::tempdir().unwrap();
        let write = |pid: &str, cmd: &[u8]| {
            std::fs::create_dir_all(t.path().join(pid)).unwrap();
            std::fs::write(t.path().join(pid).join("cmdline"), cmd).unwrap();
        };
        write(
            "812",
            b"/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0",
        );
        write("90", b"etcd\0--client-cert-auth=true\0");
        write("91", b"/usr/bin/etcdctl\0get\0");
        write("92", b"/hyperkube\0proxy\0--v=2\0");
        write("93", b"");
        std::fs::create_dir_all(t.path().join("self")).unwrap();
        let found = scan(t.path());
        let names: Vec<(u32, &str)> = found.iter().map(|p| (p.pid, p.component)).collect();
        assert_eq!(names, [(90, "etcd"), (92, "kube-proxy"), (812, "kubelet")]);
        assert_eq!(
            found[2].words[1].origin.to_string(),
            "/proc/812/cmdline (argument 1)"
        );
        assert_eq!(found[1].words[0].text, "proxy");
        assert!(scan(&t.path().join("missing")).is_empty());
    }
}
