//! Fixture root filesystems (`tests/fixtures/nodes/`), made real in a temporary directory.
//!
//! Git keeps neither file modes (beyond +x) nor owners, so each base tree carries a `MODES`
//! file (`<mode> <user>:<group> <path or glob>`, later lines win, defaults 755 for directories
//! and 644 for files, root:root) that is applied to the copy; owners are the fixture's own
//! users (its `etc/passwd` and `etc/group`), set with `chown`, which needs root (CI runs as
//! root). A variant (`variants/<name>/VARIANT`) names its base and changes it:
//!
//! ```text
//! base: control-plane
//! replace: /path | old text | new text        (the old text must be there)
//! remove-line: /path | text                   (every line containing it; at least one)
//! remove: /path
//! mode: 644 root:root /path-or-glob
//! ```
//!
//! and may add or replace files under `variants/<name>/files/`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// `crates/kubeward-node/tests/fixtures/nodes`, from this crate's tests and from others'
/// (both live in `crates/`).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kubeward-node/tests/fixtures/nodes"
    ))
}

/// Every variant's name.
pub fn variants() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures_dir().join("variants"))
        .expect("variants dir")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// A materialized node root (removed when dropped).
#[derive(Debug)]
pub struct NodeRoot {
    pub dir: tempfile::TempDir,
}

impl NodeRoot {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "MODES" || name == "VARIANT" {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_tree(&src, &dst);
        } else if ft.is_symlink() {
            let target = std::fs::read_link(&src).unwrap();
            let _ = std::fs::remove_file(&dst);
            std::os::unix::fs::symlink(target, &dst).unwrap();
        } else {
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// `*` matches within one path component, `**` across components.
fn glob(pattern: &str, path: &str) -> bool {
    fn rec(p: &[u8], s: &[u8]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => (0..=s.len()).any(|i| rec(&p[2..], &s[i..])),
            Some(b'*') => {
                let mut i = 0;
                loop {
                    if rec(&p[1..], &s[i..]) {
                        return true;
                    }
                    if i >= s.len() || s[i] == b'/' {
                        return false;
                    }
                    i += 1;
                }
            }
            Some(c) => s.first() == Some(c) && rec(&p[1..], &s[1..]),
        }
    }
    rec(pattern.as_bytes(), path.as_bytes())
}

fn ids(file: &Path) -> HashMap<String, u32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?.to_string();
            f.next()?;
            Some((name, f.next()?.parse().ok()?))
        })
        .collect()
}

/// All paths under `root` (node paths: `/etc/...`), directories included, sorted.
fn all_paths(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = format!("/{}", p.strip_prefix(root).unwrap().display());
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
            out.push(rel);
        }
    }
    out.sort();
    out
}

struct Modes(Vec<(u32, String, String, String)>); // mode, user, group, pattern

fn parse_mode_line(line: &str, file: &Path) -> (u32, String, String, String) {
    let mut f = line.split_whitespace();
    let (Some(mode), Some(owner), Some(pattern)) = (f.next(), f.next(), f.next()) else {
        panic!("{}: bad mode line `{line}`", file.display());
    };
    let mode = u32::from_str_radix(mode, 8).unwrap_or_else(|_| panic!("bad mode in `{line}`"));
    let (user, group) = owner
        .split_once(':')
        .unwrap_or_else(|| panic!("bad owner in `{line}`"));
    (
        mode,
        user.to_string(),
        group.to_string(),
        pattern.to_string(),
    )
}

fn apply_modes(root: &Path, modes: &Modes) {
    let users = ids(&root.join("etc/passwd"));
    let groups = ids(&root.join("etc/group"));
    let is_root = std::fs::metadata("/proc/self").map(|_| ()).is_ok()
        && std::process::Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
    for path in all_paths(root) {
        let host = root.join(path.trim_start_matches('/'));
        let meta = std::fs::symlink_metadata(&host).unwrap();
        if meta.file_type().is_symlink() {
            continue;
        }
        let mut want = (
            if meta.is_dir() { 0o755 } else { 0o644 },
            "root".to_string(),
            "root".to_string(),
        );
        for (mode, user, group, pattern) in &modes.0 {
            if glob(pattern, &path) {
                want = (*mode, user.clone(), group.clone());
            }
        }
        std::fs::set_permissions(&host, std::fs::Permissions::from_mode(want.0)).unwrap();
        let uid = *users
            .get(&want.1)
            .unwrap_or_else(|| panic!("user {} is not in the fixture's etc/passwd", want.1));
        let gid = *groups
            .get(&want.2)
            .unwrap_or_else(|| panic!("group {} is not in the fixture's etc/group", want.2));
        if let Err(e) = std::os::unix::fs::chown(&host, Some(uid), Some(gid)) {
            assert!(!is_root, "chown {path} to {uid}:{gid}: {e}");
            panic!(
                "the node fixtures set file owners with chown, which needs root ({path}: {e}); \
                 run the tests as root (CI does)"
            );
        }
    }
}

fn read_modes(file: &Path) -> Vec<(u32, String, String, String)> {
    std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| parse_mode_line(l, file))
        .collect()
}

/// Materializes a base (`control-plane`, `worker`) or a variant.
pub fn materialize(name: &str) -> NodeRoot {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let fixtures = fixtures_dir();
    let variant_dir = fixtures.join("variants").join(name);
    let (base, ops): (String, Vec<String>) = if variant_dir.join("VARIANT").exists() {
        let text = std::fs::read_to_string(variant_dir.join("VARIANT")).unwrap();
        let lines: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        let base = lines
            .iter()
            .find_map(|l| l.strip_prefix("base:"))
            .unwrap_or_else(|| panic!("{name}: VARIANT has no `base:`"))
            .trim()
            .to_string();
        (base, lines)
    } else {
        (name.to_string(), Vec::new())
    };
    let base_dir = fixtures.join(&base);
    assert!(base_dir.is_dir(), "no fixture `{base}`");
    copy_tree(&base_dir, root);
    if variant_dir.join("files").is_dir() {
        copy_tree(&variant_dir.join("files"), root);
    }
    let mut modes = read_modes(&base_dir.join("MODES"));
    for op in &ops {
        let host = |p: &str| root.join(p.trim().trim_start_matches('/'));
        if let Some(rest) = op.strip_prefix("replace:") {
            let parts: Vec<&str> = rest.split(" | ").collect();
            let [path, old, new] = parts.as_slice() else {
                panic!("{name}: bad replace `{op}`");
            };
            let file = host(path);
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                text.contains(old.trim()),
                "{name}: `{}` not in {path}",
                old.trim()
            );
            std::fs::write(&file, text.replacen(old.trim(), new.trim(), 1)).unwrap();
        } else if let Some(rest) = op.strip_prefix("remove-line:") {
            let (path, needle) = rest
                .split_once(" | ")
                .unwrap_or_else(|| panic!("{name}: bad `{op}`"));
            let file = host(path);
            let text = std::fs::read_to_string(&file).unwrap();
            let kept: Vec<&str> = text
                .lines()
                .filter(|l| !l.contains(needle.trim()))
                .collect();
            assert!(
                kept.len() < text.lines().count(),
                "{name}: `{}` not in {path}",
                needle.trim()
            );
            std::fs::write(&file, kept.join("\n") + "\n").unwrap();
        } else if let Some(path) = op.strip_prefix("remove:") {
            std::fs::remove_file(host(path)).unwrap();
        } else if let Some(line) = op.strip_prefix("mode:") {
            modes.push(parse_mode_line(line.trim(), &variant_dir.join("VARIANT")));
        } else if !op.starts_with("base:") {
            panic!("{name}: unknown VARIANT line `{op}`");
        }
    }
    apply_modes(root, &Modes(modes));
    NodeRoot { dir }
}

#[cfg(test)]
mod tests {
    #[test]
    fn globs() {
        use super::glob;
        assert!(glob(
            "/etc/kubernetes/pki/**.key",
            "/etc/kubernetes/pki/etcd/ca.key"
        ));
        assert!(glob("/etc/kubernetes/*.conf", "/etc/kubernetes/admin.conf"));
        assert!(!glob(
            "/etc/kubernetes/*.conf",
            "/etc/kubernetes/x/admin.conf"
        ));
        assert!(glob("/var/lib/etcd/**", "/var/lib/etcd/member/snap"));
    }
}
