//! A systemd service as systemd resolves it: the unit file from the first directory that has
//! it (`/etc` before `/run` before `/usr/local/lib` before `/usr/lib` and `/lib`), drop-ins
//! `NAME.service.d/*.conf` from every directory (a file name in a higher directory hides the
//! same name in a lower one) applied in file-name order, `Environment=` assignments,
//! `EnvironmentFile=`s (whose variables override every `Environment=`, later files winning),
//! `ExecStart=` (an empty assignment resets it) and its variable expansion: `$NAME` as a word
//! of its own splits into words, `${NAME}` is one word. Every word remembers where it was
//! written: the `ExecStart=` line, or the line that set the variable it came from.

use crate::error::Problem;
use crate::flags::Token;
use crate::fsroot::Root;
use crate::origin::Origin;

/// Unit directories, highest priority first.
pub const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// A variable and where it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub name: String,
    pub value: String,
    pub origin: Origin,
}

/// A resolved service unit.
#[derive(Debug, Clone, Default)]
pub struct Unit {
    /// The unit file, then its drop-ins in the order they apply (node paths).
    pub files: Vec<String>,
    /// The effective `ExecStart=`: its text and line.
    pub exec_start: Option<(String, Origin)>,
    /// `Environment=` assignments, in order.
    pub environment: Vec<Var>,
    /// `EnvironmentFile=` entries: path, whether missing is allowed (`-` prefix), line.
    pub environment_files: Vec<(String, bool, Origin)>,
    /// `IPAddressDeny=` (the last one) and its line.
    pub ip_address_deny: Option<(String, Origin)>,
}

/// Finds and reads a unit (`kubelet.service`) and its drop-ins. `Ok(None)` when no unit file
/// and no drop-in exists.
pub fn load(root: &Root, name: &str, problems: &mut Vec<Problem>) -> Option<Unit> {
    let main = UNIT_DIRS
        .iter()
        .map(|d| format!("{d}/{name}"))
        .find(|p| root.stat(p).is_some_and(|s| !s.is_dir));
    let mut dropins: Vec<(String, String)> = Vec::new(); // (file name, path)
    for dir in UNIT_DIRS {
        let d = format!("{dir}/{name}.d");
        for f in root.list(&d) {
            if f.ends_with(".conf") && !dropins.iter().any(|(n, _)| *n == f) {
                dropins.push((f.clone(), format!("{d}/{f}")));
            }
        }
    }
    dropins.sort();
    if main.is_none() && dropins.is_empty() {
        return None;
    }
    let mut unit = Unit::default();
    for path in main.into_iter().chain(dropins.into_iter().map(|(_, p)| p)) {
        match root.read(&path) {
            Ok(text) => apply(&mut unit, &path, &text, problems),
            Err(e) => problems.push(e),
        }
        unit.files.push(path);
    }
    Some(unit)
}

/// Applies one unit file or drop-in.
pub fn apply(unit: &mut Unit, path: &str, text: &str, problems: &mut Vec<Problem>) {
    let mut section = String::new();
    for (line_no, line) in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            if !line.ends_with(']') {
                problems.push(Problem::new(
                    path,
                    line_no,
                    1,
                    "expected a section header like `[Service]`",
                ));
            }
            section = line.trim_matches(['[', ']']).to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            problems.push(Problem::new(
                path,
                line_no,
                1,
                "expected `Key=value`, a `[Section]` header or a comment",
            ));
            continue;
        };
        if section != "Service" {
            continue;
        }
        let (key, value) = (key.trim(), value.trim());
        let origin = Origin::file(path, line_no);
        match key {
            "ExecStart" => {
                unit.exec_start = (!value.is_empty()).then(|| (value.to_string(), origin));
            }
            "Environment" => {
                if value.is_empty() {
                    unit.environment.clear();
                    continue;
                }
                match split_words(value) {
                    Ok(words) => {
                        for w in words {
                            match w.split_once('=') {
                                Some((n, v)) if valid_name(n) => unit.environment.push(Var {
                                    name: n.to_string(),
                                    value: v.to_string(),
                                    origin: origin.clone(),
                                }),
                                _ => problems.push(Problem::new(
                                    path,
                                    line_no,
                                    1,
                                    format!("expected `NAME=value` in Environment=, found `{w}`"),
                                )),
                            }
                        }
                    }
                    Err(msg) => problems.push(Problem::new(path, line_no, 1, msg)),
                }
            }
            "EnvironmentFile" => {
                if value.is_empty() {
                    unit.environment_files.clear();
                    continue;
                }
                let (optional, file) = match value.strip_prefix('-') {
                    Some(f) => (true, f.trim()),
                    None => (false, value),
                };
                unit.environment_files
                    .push((file.to_string(), optional, origin));
            }
            "IPAddressDeny" => {
                unit.ip_address_deny = (!value.is_empty()).then(|| (value.to_string(), origin));
            }
            _ => {}
        }
    }
}

/// Lines with `\`-continuations joined, each with the number of its first line.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i as u32 + 1;
        let (start, mut acc) = current.take().unwrap_or((n, String::new()));
        // Comment lines inside a continuation are skipped, as systemd does.
        let trimmed = raw.trim_start();
        if !acc.is_empty() && (trimmed.starts_with('#') || trimmed.starts_with(';')) {
            current = Some((start, acc));
            continue;
        }
        if let Some(body) = raw.strip_suffix('\\') {
            acc.push_str(body);
            acc.push(' ');
            current = Some((start, acc));
        } else {
            acc.push_str(raw);
            out.push((start, acc));
        }
    }
    if let Some(last) = current {
        out.push(last);
    }
    out
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !n.as_bytes()[0].is_ascii_digit()
}

/// Splits on whitespace honouring `"..."` and `'...'` quotes and backslash escapes (the quotes
/// are removed).
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                in_word = true;
                let quote = c;
                let mut closed = false;
                while let Some(q) = chars.next() {
                    if q == quote {
                        closed = true;
                        break;
                    }
                    if q == '\\' && quote == '"' {
                        match chars.next() {
                            Some(e) => cur.push(unescape(e)),
                            None => break,
                        }
                    } else {
                        cur.push(q);
                    }
                }
                if !closed {
                    return Err(format!("unterminated {quote}quote{quote}"));
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    cur.push(unescape(e));
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

fn unescape(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        other => other,
    }
}

/// Variables of an environment file (`KEY=value` lines, `#`/`;` comments, quoted values,
/// `\` continuations), each with its line.
pub fn parse_env_file(path: &str, text: &str, problems: &mut Vec<Problem>) -> Vec<Var> {
    let mut out = Vec::new();
    for (line_no, line) in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            problems.push(Problem::new(
                path,
                line_no,
                1,
                "expected `NAME=value` in an environment file",
            ));
            continue;
        };
        let name = name.trim();
        if !valid_name(name) {
            problems.push(Problem::new(
                path,
                line_no,
                1,
                format!("expected a variable name before `=`, found `{name}`"),
            ));
            continue;
        }
        let value = value.trim();
        let value = match split_words(value) {
            // A quoted value is one value even with spaces; an unquoted one is taken as is.
            Ok(words) if value.starts_with('"') || value.starts_with('\'') => words.join(" "),
            Ok(_) => value.to_string(),
            Err(msg) => {
                problems.push(Problem::new(path, line_no, 1, msg));
                continue;
            }
        };
        out.push(Var {
            name: name.to_string(),
            value,
            origin: Origin::file(path, line_no),
        });
    }
    out
}

/// The environment the service starts with: `Environment=` in order, then every
/// `EnvironmentFile=` in order (overriding). A missing file without `-` is a problem.
pub fn environment(root: &Root, unit: &Unit, problems: &mut Vec<Problem>) -> Vec<Var> {
    let mut env: Vec<Var> = Vec::new();
    let set = |env: &mut Vec<Var>, v: Var| match env.iter_mut().find(|e| e.name == v.name) {
        Some(e) => *e = v,
        None => env.push(v),
    };
    for v in &unit.environment {
        set(&mut env, v.clone());
    }
    for (file, optional, origin) in &unit.environment_files {
        match root.read(file) {
            Ok(text) => {
                for v in parse_env_file(file, &text, problems) {
                    set(&mut env, v);
                }
            }
            Err(_) if *optional && !root.exists(file) => {}
            Err(e) => problems.push(Problem {
                message: format!("{} (EnvironmentFile= at {origin})", e.message),
                ..e
            }),
        }
    }
    env
}

/// The words of `ExecStart=` after variable expansion, each with its origin.
pub fn exec_words(unit: &Unit, env: &[Var], problems: &mut Vec<Problem>) -> Option<Vec<Token>> {
    let (text, origin) = unit.exec_start.as_ref()?;
    let text = text.trim_start_matches(['@', '-', ':', '+', '!']);
    let words = match split_words(text) {
        Ok(w) => w,
        Err(msg) => {
            let (path, line) = match origin {
                Origin::File { path, line } => (path.clone(), *line),
                _ => (String::new(), 0),
            };
            problems.push(Problem::new(path, line, 1, format!("ExecStart=: {msg}")));
            return None;
        }
    };
    let lookup = |name: &str| env.iter().find(|v| v.name == name);
    let mut out = Vec::new();
    for w in words {
        if let Some(name) = w.strip_prefix('$')
            && valid_name(name)
        {
            // `$NAME` alone: the value split at whitespace, zero or more words.
            if let Some(var) = lookup(name) {
                let parts = split_words(&var.value)
                    .unwrap_or_else(|_| var.value.split_whitespace().map(str::to_string).collect());
                out.extend(parts.into_iter().map(|p| Token::new(p, var.origin.clone())));
            }
            continue;
        }
        // `${NAME}` (or `$NAME` inside a word): the exact value, one word.
        let mut text = String::new();
        let mut from: Option<Origin> = None;
        let mut rest = w.as_str();
        while let Some(at) = rest.find('$') {
            text.push_str(&rest[..at]);
            let tail = &rest[at + 1..];
            if let Some(after) = tail.strip_prefix('$') {
                text.push('$');
                rest = after;
            } else if let Some(inner) = tail.strip_prefix('{')
                && let Some(end) = inner.find('}')
            {
                if let Some(var) = lookup(&inner[..end]) {
                    text.push_str(&var.value);
                    from = Some(var.origin.clone());
                }
                rest = &inner[end + 1..];
            } else {
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                if end == 0 {
                    text.push('$');
                } else if let Some(var) = lookup(&tail[..end]) {
                    text.push_str(&var.value);
                    from = Some(var.origin.clone());
                }
                rest = &tail[end..];
            }
        }
        text.push_str(rest);
        out.push(Token::new(text, from.unwrap_or_else(|| origin.clone())));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Root) {
        let t = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let host = t.path().join(p.trim_start_matches('/'));
            std::fs::create_dir_all(host.parent().unwrap()).unwrap();
            std::fs::write(host, text).unwrap();
        }
        let root = Root::new(t.path(), None).unwrap();
        (t, root)
    }

    const KUBEADM: &str = "\
# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"
Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
";

    #[test]
    fn kubeadm_layout() {
        let (_t, root) = root_with(&[
            (
                "/lib/systemd/system/kubelet.service",
                "[Unit]\nDescription=kubelet\n[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\n",
            ),
            (
                "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
                KUBEADM,
            ),
            (
                "/etc/systemd/system/kubelet.service.d/20-extra.conf",
                "[Service]\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=/etc/kubernetes/other.yaml\"\n",
            ),
            (
                "/var/lib/kubelet/kubeadm-flags.env",
                "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9\"\n",
            ),
            (
                "/etc/default/kubelet",
                "# extra\nKUBELET_EXTRA_ARGS=--read-only-port=10255 \\\n  --anonymous-auth=true\n",
            ),
        ]);
        let mut problems = Vec::new();
        let unit = load(&root, "kubelet.service", &mut problems).unwrap();
        assert_eq!(
            unit.files,
            [
                "/lib/systemd/system/kubelet.service",
                "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
                "/etc/systemd/system/kubelet.service.d/20-extra.conf"
            ]
        );
        let env = environment(&root, &unit, &mut problems);
        let words = exec_words(&unit, &env, &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let shown: Vec<String> = words
            .iter()
            .map(|t| format!("{} @ {}", t.text, t.origin))
            .collect();
        assert_eq!(
            shown,
            [
                "/usr/bin/kubelet @ /etc/systemd/system/kubelet.service.d/10-kubeadm.conf:8",
                "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf @ /etc/systemd/system/kubelet.service.d/10-kubeadm.conf:3",
                "--kubeconfig=/etc/kubernetes/kubelet.conf @ /etc/systemd/system/kubelet.service.d/10-kubeadm.conf:3",
                "--config=/etc/kubernetes/other.yaml @ /etc/systemd/system/kubelet.service.d/20-extra.conf:2",
                "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock @ /var/lib/kubelet/kubeadm-flags.env:1",
                "--pod-infra-container-image=registry.k8s.io/pause:3.9 @ /var/lib/kubelet/kubeadm-flags.env:1",
                "--read-only-port=10255 @ /etc/default/kubelet:2",
                "--anonymous-auth=true @ /etc/default/kubelet:2",
            ]
        );
    }

    #[test]
    fn environment_files_override_environment_and_missing_ones_are_reported() {
        let (_t, root) = root_with(&[
            (
                "/etc/systemd/system/x.service",
                "[Service]\nEnvironmentFile=/etc/x.env\nEnvironment=A=from-unit B=b\nEnvironmentFile=/etc/missing.env\nExecStart=/bin/x ${A} pre${B}post $$HOME $UNSET\n",
            ),
            ("/etc/x.env", "A='from file'\n"),
        ]);
        let mut problems = Vec::new();
        let unit = load(&root, "x.service", &mut problems).unwrap();
        let env = environment(&root, &unit, &mut problems);
        let words = exec_words(&unit, &env, &mut problems).unwrap();
        let texts: Vec<&str> = words.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["/bin/x", "from file", "prebpost", "$HOME"]);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].to_string().starts_with("/etc/missing.env: no such file (EnvironmentFile= at /etc/systemd/system/x.service:4)"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn malformed_lines_are_problems_with_lines() {
        let (_t, root) = root_with(&[(
            "/etc/systemd/system/y.service",
            "[Service\nnot a setting\n[Service]\nEnvironment=\"A=unterminated\nExecStart=/bin/y\n",
        )]);
        let mut problems = Vec::new();
        let unit = load(&root, "y.service", &mut problems).unwrap();
        let lines: Vec<u32> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 4], "{problems:?}");
        assert!(unit.exec_start.is_some());
        assert!(load(&root, "none.service", &mut problems).is_none());
    }
}
