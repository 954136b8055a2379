//! The node's filesystem, possibly mounted somewhere else (`--root DIR` treats DIR as `/`).
//!
//! Paths are resolved the way the node itself would: symbolic links are followed *inside* the
//! root (an absolute link target restarts at the root, `..` never leaves it), so a copy of a
//! node's disk reads its own `/lib -> usr/lib` and `pki/*.crt -> ...` links, not the host's.
//! Owner and group names come from the node's `/etc/passwd` and `/etc/group`.

use crate::error::{Error, Problem};
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// Configuration files larger than this are refused (a kubelet or API server would not be
/// configured with anything near it).
pub const MAX_CONFIG_FILE: u64 = 16 * 1024 * 1024;
/// Symbolic links followed while resolving one path (Linux's limit).
const MAX_LINKS: u32 = 40;

/// What `stat` says about a file (after following symbolic links).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Permission bits (`0o644`), set-id and sticky bits included.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub is_dir: bool,
}

/// The node's root filesystem.
#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
    proc_dir: PathBuf,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
    user_ids: HashMap<String, u32>,
    group_ids: HashMap<String, u32>,
}

impl Root {
    /// `dir` is treated as `/`; `proc_dir` is where the node's process table is mounted
    /// (`DIR/proc` by default; `/proc` in a pod with `hostPID: true` that mounts the node's
    /// files elsewhere).
    pub fn new(dir: &Path, proc_dir: Option<&Path>) -> Result<Root, Error> {
        let meta = std::fs::metadata(dir).map_err(|e| Error::Root {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        if !meta.is_dir() {
            return Err(Error::Root {
                path: dir.display().to_string(),
                message: "not a directory".into(),
            });
        }
        let mut root = Root {
            dir: dir.to_path_buf(),
            proc_dir: proc_dir.map_or_else(|| dir.join("proc"), Path::to_path_buf),
            users: HashMap::new(),
            groups: HashMap::new(),
            user_ids: HashMap::new(),
            group_ids: HashMap::new(),
        };
        if let Ok(text) = root.read("/etc/passwd") {
            for (name, id) in id_file(&text) {
                root.users.entry(id).or_insert_with(|| name.clone());
                root.user_ids.entry(name).or_insert(id);
            }
        }
        if let Ok(text) = root.read("/etc/group") {
            for (name, id) in id_file(&text) {
                root.groups.entry(id).or_insert_with(|| name.clone());
                root.group_ids.entry(name).or_insert(id);
            }
        }
        Ok(root)
    }

    /// The directory treated as `/`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the process table is read.
    pub fn proc_dir(&self) -> &Path {
        &self.proc_dir
    }

    /// The host path of a node path, symbolic links resolved inside the root. A relative
    /// `node_path` is taken from `/`.
    pub fn resolve(&self, node_path: &str) -> PathBuf {
        let mut done: Vec<OsString> = Vec::new();
        let mut pending: Vec<OsString> = components(Path::new(node_path));
        pending.reverse();
        let mut links = 0;
        while let Some(c) = pending.pop() {
            if c == ".." {
                done.pop();
                continue;
            }
            done.push(c);
            let host = self.join(&done);
            let Ok(meta) = std::fs::symlink_metadata(&host) else {
                // Missing: the rest cannot be links either.
                while let Some(rest) = pending.pop() {
                    if rest == ".." {
                        done.pop();
                    } else {
                        done.push(rest);
                    }
                }
                break;
            };
            if meta.file_type().is_symlink() {
                links += 1;
                let Ok(target) = std::fs::read_link(&host) else {
                    break;
                };
                if links > MAX_LINKS {
                    break;
                }
                done.pop();
                if target.is_absolute() {
                    done.clear();
                }
                let mut more = components(&target);
                more.reverse();
                pending.extend(more);
            }
        }
        self.join(&done)
    }

    fn join(&self, parts: &[OsString]) -> PathBuf {
        let mut p = self.dir.clone();
        for part in parts {
            p.push(part);
        }
        p
    }

    /// Reads a text file (at most [`MAX_CONFIG_FILE`] bytes). Errors name the node path.
    /// Only regular files are read: a configuration that names `/dev/zero` or a FIFO is an
    /// error, not a hang.
    pub fn read(&self, node_path: &str) -> Result<String, Problem> {
        use std::io::Read as _;
        let host = self.resolve(node_path);
        let meta = std::fs::metadata(&host).map_err(|e| Problem::file(node_path, io_text(&e)))?;
        if meta.is_dir() {
            return Err(Problem::file(node_path, "is a directory, expected a file"));
        }
        if !meta.is_file() {
            return Err(Problem::file(node_path, "is not a regular file"));
        }
        let too_big = || {
            Problem::file(
                node_path,
                format!(
                    "larger than the {} MiB a configuration file may have",
                    MAX_CONFIG_FILE >> 20
                ),
            )
        };
        if meta.len() > MAX_CONFIG_FILE {
            return Err(too_big());
        }
        let file = std::fs::File::open(&host).map_err(|e| Problem::file(node_path, io_text(&e)))?;
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(MAX_CONFIG_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Problem::file(node_path, io_text(&e)))?;
        if bytes.len() as u64 > MAX_CONFIG_FILE {
            return Err(too_big());
        }
        match String::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let bytes = e.as_bytes();
                let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
                Err(Problem::new(
                    node_path,
                    line,
                    0,
                    "invalid UTF-8: expected a text file",
                ))
            }
        }
    }

    /// Does the node path exist (after following links)?
    pub fn exists(&self, node_path: &str) -> bool {
        self.resolve(node_path).exists()
    }

    /// `stat` of a node path, following symbolic links like the component that opens it.
    pub fn stat(&self, node_path: &str) -> Option<FileStat> {
        let meta = std::fs::metadata(self.resolve(node_path)).ok()?;
        Some(FileStat {
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            is_dir: meta.is_dir(),
        })
    }

    /// Names of the entries of a directory, sorted; empty when it is missing.
    pub fn list(&self, node_path: &str) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.resolve(node_path)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = rd
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }

    /// Every file and directory under `node_path` (itself first), depth-first, sorted, without
    /// following symbolic links to directories; at most `limit` entries.
    pub fn walk(&self, node_path: &str, limit: usize) -> Vec<String> {
        let mut out = Vec::new();
        if !self.exists(node_path) {
            return out;
        }
        let mut stack = vec![(node_path.trim_end_matches('/').to_string(), 0u32)];
        while let Some((path, depth)) = stack.pop() {
            if out.len() >= limit {
                break;
            }
            let host = self.resolve(&path);
            let is_real_dir = std::fs::symlink_metadata(&host)
                .map(|m| m.is_dir())
                .unwrap_or(false);
            out.push(if path.is_empty() {
                "/".into()
            } else {
                path.clone()
            });
            if is_real_dir && depth < 16 {
                let mut children = self.list(&path);
                children.reverse();
                for c in children {
                    stack.push((format!("{path}/{c}"), depth + 1));
                }
            }
        }
        out
    }

    /// The node's name for a user id (`/etc/passwd`), or the number.
    pub fn user_name(&self, uid: u32) -> String {
        match self.users.get(&uid) {
            Some(n) => n.clone(),
            None if uid == 0 => "root".into(),
            None => uid.to_string(),
        }
    }

    /// The node's name for a group id (`/etc/group`), or the number.
    pub fn group_name(&self, gid: u32) -> String {
        match self.groups.get(&gid) {
            Some(n) => n.clone(),
            None if gid == 0 => "root".into(),
            None => gid.to_string(),
        }
    }

    /// The node's uid of a user name.
    pub fn user_id(&self, name: &str) -> Option<u32> {
        self.user_ids
            .get(name)
            .copied()
            .or((name == "root").then_some(0))
    }

    /// The node's gid of a group name.
    pub fn group_id(&self, name: &str) -> Option<u32> {
        self.group_ids
            .get(name)
            .copied()
            .or((name == "root").then_some(0))
    }

    /// `user:group` of a stat.
    pub fn owner(&self, st: &FileStat) -> String {
        format!("{}:{}", self.user_name(st.uid), self.group_name(st.gid))
    }
}

fn components(p: &Path) -> Vec<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// `name:x:id:...` lines of `/etc/passwd` or `/etc/group`.
fn id_file(text: &str) -> Vec<(String, u32)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?.trim();
            let _pw = f.next()?;
            let id = f.next()?.trim().parse().ok()?;
            (!name.is_empty()).then(|| (name.to_string(), id))
        })
        .collect()
}

/// An I/O error without the host path (the node path is already in the message's place).
pub fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}

/// `0o640` → `640` (what `stat -c %a` prints).
pub fn octal(mode: u32) -> String {
    format!("{:o}", mode & 0o7777)
}

/// Is `mode` at most as permissive as `max` (every bit set in `mode` is set in `max`)? This is
/// kube-bench's `bitmask` test: 600 passes 600 and 400, not 640.
pub fn within(mode: u32, max: u32) -> bool {
    mode & !max & 0o7777 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_inside_the_root() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("usr/lib/systemd")).unwrap();
        std::fs::write(r.join("usr/lib/systemd/x"), "inside").unwrap();
        std::os::unix::fs::symlink("usr/lib", r.join("lib")).unwrap();
        std::fs::create_dir_all(r.join("etc")).unwrap();
        // An absolute target means the node's /usr, not the host's.
        std::os::unix::fs::symlink("/usr/lib/systemd/x", r.join("etc/abs")).unwrap();
        // `..` cannot leave the root.
        std::os::unix::fs::symlink("../../../../usr/lib/systemd/x", r.join("etc/up")).unwrap();
        let root = Root::new(r, None).unwrap();
        assert_eq!(root.read("/lib/systemd/x").unwrap(), "inside");
        assert_eq!(root.read("/etc/abs").unwrap(), "inside");
        assert_eq!(root.read("/etc/up").unwrap(), "inside");
        assert_eq!(root.read("/../../lib/systemd/x").unwrap(), "inside");
        let e = root.read("/etc/missing").unwrap_err();
        assert_eq!(e.to_string(), "/etc/missing: no such file");
    }

    #[test]
    fn link_loops_end() {
        let t = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("b", t.path().join("a")).unwrap();
        std::os::unix::fs::symlink("a", t.path().join("b")).unwrap();
        let root = Root::new(t.path(), None).unwrap();
        assert!(root.read("/a").is_err());
        assert!(root.stat("/a").is_none());
    }

    #[test]
    fn names_come_from_the_nodes_passwd() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("etc")).unwrap();
        std::fs::write(
            t.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\netcd:x:4242:4243::/var/lib/etcd:/bin/false\nbad line\n",
        )
        .unwrap();
        std::fs::write(t.path().join("etc/group"), "root:x:0:\netcd:x:4243:\n").unwrap();
        let root = Root::new(t.path(), None).unwrap();
        assert_eq!(root.user_name(4242), "etcd");
        assert_eq!(root.group_name(4243), "etcd");
        assert_eq!(root.user_name(7), "7");
        assert_eq!(root.user_id("etcd"), Some(4242));
        assert_eq!(root.group_id("root"), Some(0));
    }

    #[test]
    fn bitmask() {
        assert!(within(0o600, 0o600));
        assert!(within(0o400, 0o600));
        assert!(!within(0o640, 0o600));
        assert!(!within(0o4600, 0o600));
        assert!(within(0o644, 0o644));
        assert!(!within(0o664, 0o644));
        assert_eq!(octal(0o640), "640");
    }

    #[test]
    fn oversized_and_binary_files_are_errors() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("bin"), b"ok\n\xff\xfe").unwrap();
        let root = Root::new(t.path(), None).unwrap();
        let e = root.read("/bin").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("UTF-8"), "{e}");
        assert!(Root::new(&t.path().join("nope"), None).is_err());
        std::fs::create_dir_all(t.path().join("dev")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", t.path().join("zero")).unwrap();
        // The link is resolved inside the root: /dev/zero of the root does not exist.
        assert_eq!(root.read("/zero").unwrap_err().message, "no such file");
        let host = Root::new(std::path::Path::new("/"), None).unwrap();
        assert_eq!(
            host.read("/dev/zero").unwrap_err().message,
            "is not a regular file"
        );
    }
}
