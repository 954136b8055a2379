//! The kubelet's effective configuration: its command line (the running process, or the
//! systemd unit with drop-ins and environment files), the `--config` file it actually uses
//! and the `--config-dir` drop-ins merged over it, command-line flags overriding both — the
//! kubelet's own precedence. Defaults depend on whether a config file is used: without one
//! the kubelet keeps its legacy flag defaults (anonymous requests allowed, `AlwaysAllow`,
//! read-only port 10255); a `KubeletConfiguration` file defaults them to the safe values.

use crate::error::Problem;
use crate::flags::{CommandLine, Token, parse_gates};
use crate::fsroot::Root;
use crate::origin::{Origin, Setting};
use crate::procs::Process;
use crate::systemd::{self, Unit};
use crate::yamlfile::{expect_kind, parse_file, text_of};
use kubeward_core::Node;

/// Where the kubelet's command line was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandSource {
    /// The systemd unit (no kubelet process visible).
    Unit,
    /// The running process (pid).
    Process(u32),
    /// The systemd unit, which gives exactly the running process's command line (pid).
    UnitMatchingProcess(u32),
}

/// The kubelet as it runs (or would run) on the node.
#[derive(Debug, Clone)]
pub struct Kubelet {
    pub cmd: CommandLine,
    pub source: CommandSource,
    pub unit: Option<Unit>,
    /// `--config` and where it was set.
    pub config_file: Option<Setting>,
    /// The config file, then the `--config-dir` drop-ins in the order they apply.
    pub layers: Vec<(String, Node)>,
    /// `--config` names a file that could not be read or parsed: the effective values of the
    /// file's settings are unknown.
    pub config_failed: bool,
    pub notes: Vec<String>,
}

impl Kubelet {
    /// Is a `KubeletConfiguration` file in use (which changes the defaults)?
    pub fn uses_config_file(&self) -> bool {
        self.config_file.is_some()
    }

    /// The value of a setting: the flag when given (flags override the file), else the last
    /// config layer that sets `path`.
    pub fn setting(&self, flag: Option<&str>, path: &[&str]) -> Option<Setting> {
        if let Some(f) = flag
            && let Some(s) = self.cmd.get(f)
        {
            return Some(s);
        }
        self.config_value(path)
    }

    /// The value of `path` in the config layers (last layer that sets it).
    pub fn config_value(&self, path: &[&str]) -> Option<Setting> {
        if path.is_empty() {
            return None;
        }
        for (file, doc) in self.layers.iter().rev() {
            if let Some(n) = doc.path(path) {
                return Some(Setting::new(text_of(n), Origin::file(file, n.pos.line)));
            }
        }
        None
    }

    /// A file path setting, a relative path in a config file resolved against the file's
    /// directory (as the kubelet does).
    pub fn path_setting(&self, flag: Option<&str>, path: &[&str]) -> Option<Setting> {
        let mut s = self.setting(flag, path)?;
        if !s.value.starts_with('/')
            && !s.value.is_empty()
            && let Origin::File { path: file, .. } = &s.source
            && self.layers.iter().any(|(f, _)| f == file)
        {
            let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
            s.value = format!("{dir}/{}", s.value);
        }
        Some(s)
    }

    /// A feature gate: `--feature-gates` first, then `featureGates` of the config layers.
    pub fn feature_gate(&self, name: &str) -> Option<Setting> {
        if let Some(s) = self.cmd.get("feature-gates")
            && let Some((_, v)) = parse_gates(&s.value).into_iter().find(|(k, _)| k == name)
        {
            return Some(Setting::new(v, s.source));
        }
        self.config_value(&["featureGates", name])
    }
}

/// Resolves the kubelet from its systemd unit and/or its running process. `None` when there
/// is neither.
pub fn resolve(
    root: &Root,
    process: Option<&Process>,
    problems: &mut Vec<Problem>,
) -> Option<Kubelet> {
    let mut notes = Vec::new();
    let unit = systemd::load(root, "kubelet.service", problems);
    let unit_words: Option<Vec<Token>> = unit.as_ref().and_then(|u| {
        let env = systemd::environment(root, u, problems);
        systemd::exec_words(u, &env, problems)
    });
    let (words, source) = match (unit_words, process) {
        (Some(uw), Some(p)) => {
            let a = CommandLine::parse(uw.clone());
            let b = CommandLine::parse(p.words.clone());
            if a.words() == b.words() {
                (uw, CommandSource::UnitMatchingProcess(p.pid))
            } else {
                notes.push(format!(
                    "the running kubelet (pid {}) was started with another command line than its \
                     systemd unit gives now (changed without a restart?): the running one is checked",
                    p.pid
                ));
                (p.words.clone(), CommandSource::Process(p.pid))
            }
        }
        (Some(uw), None) => (uw, CommandSource::Unit),
        (None, Some(p)) => (p.words.clone(), CommandSource::Process(p.pid)),
        (None, None) => {
            if let Some(u) = &unit {
                notes.push(format!(
                    "kubelet.service has no ExecStart= ({})",
                    u.files.join(", ")
                ));
            } else {
                return None;
            }
            (Vec::new(), CommandSource::Unit)
        }
    };
    let cmd = CommandLine::parse(words);
    let config_file = cmd.get("config");
    let mut layers = Vec::new();
    let mut config_failed = false;
    if let Some(cfg) = &config_file {
        let path = absolute(&cfg.value);
        match load_layer(root, &path) {
            Ok(doc) => layers.push((path, doc)),
            Err(mut e) => {
                config_failed = true;
                if e.line == 0 {
                    e.message = format!(
                        "{} (the kubelet's --config, set at {})",
                        e.message, cfg.source
                    );
                }
                problems.push(e);
            }
        }
    }
    if let Some(dir) = cmd.get("config-dir") {
        let dir_path = absolute(&dir.value);
        for f in root.list(&dir_path) {
            if !f.ends_with(".conf") {
                continue;
            }
            let path = format!("{}/{f}", dir_path.trim_end_matches('/'));
            match load_layer(root, &path) {
                Ok(doc) => layers.push((path, doc)),
                Err(e) => {
                    config_failed = true;
                    problems.push(e);
                }
            }
        }
    }
    Some(Kubelet {
        cmd,
        source,
        unit,
        config_file,
        layers,
        config_failed,
        notes,
    })
}

fn absolute(p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

fn load_layer(root: &Root, path: &str) -> Result<Node, Problem> {
    let doc = parse_file(root, path)?;
    expect_kind(
        path,
        &doc,
        "KubeletConfiguration",
        &["kubelet.config.k8s.io"],
    )?;
    Ok(doc)
}

/// A kubelet default, as the kubelet applies it with or without a config file.
#[derive(Debug, Clone, Copy)]
pub struct Default {
    pub with_config: (&'static str, &'static str),
    pub flags_only: (&'static str, &'static str),
}

/// The default of a setting the checks read (`None` when unset means nothing).
pub fn default_of(path: &[&str]) -> Option<Default> {
    const FILE: &str = "KubeletConfiguration v1beta1 default";
    const FLAG: &str = "kubelet flag default (no --config file)";
    let d = |a: &'static str, b: &'static str| Default {
        with_config: (a, FILE),
        flags_only: (b, FLAG),
    };
    Some(match path {
        ["authentication", "anonymous", "enabled"] => d("false", "true"),
        ["authentication", "webhook", "enabled"] => d("true", "false"),
        ["authorization", "mode"] => d("Webhook", "AlwaysAllow"),
        ["readOnlyPort"] => d("0", "10255"),
        ["streamingConnectionIdleTimeout"] => d("4h0m0s", "4h0m0s"),
        ["makeIPTablesUtilChains"] => d("true", "true"),
        ["eventRecordQPS"] => d("50", "50"),
        ["rotateCertificates"] => d("false", "false"),
        ["seccompDefault"] => d("false", "false"),
        ["podPidsLimit"] => d("-1", "-1"),
        ["serverTLSBootstrap"] => d("false", "false"),
        _ => return None,
    })
}

impl Kubelet {
    /// The effective value: the setting, else the applicable default (with its description
    /// as the origin).
    pub fn effective(&self, flag: Option<&str>, path: &[&str]) -> Option<Setting> {
        if let Some(s) = self.setting(flag, path) {
            return Some(s);
        }
        let d = default_of(path)?;
        let (value, what) = if self.uses_config_file() {
            d.with_config
        } else {
            d.flags_only
        };
        Some(Setting::new(value, Origin::Default(what)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_drop_ins_override_the_file() {
        let t = tempfile::tempdir().unwrap();
        let w = |p: &str, s: &str| {
            let h = t.path().join(p);
            std::fs::create_dir_all(h.parent().unwrap()).unwrap();
            std::fs::write(h, s).unwrap();
        };
        w(
            "etc/systemd/system/kubelet.service",
            "[Service]\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --config-dir=/etc/kubernetes/kubelet.conf.d --read-only-port=10255 --feature-gates=RotateKubeletServerCertificate=false\n",
        );
        w(
            "var/lib/kubelet/config.yaml",
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 0\nauthentication:\n  anonymous:\n    enabled: false\n  x509:\n    clientCAFile: pki/ca.crt\nfeatureGates:\n  SeccompDefault: true\n",
        );
        w(
            "etc/kubernetes/kubelet.conf.d/50-anon.conf",
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: true\n",
        );
        let root = Root::new(t.path(), None).unwrap();
        let mut problems = Vec::new();
        let k = resolve(&root, None, &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(k.source, CommandSource::Unit);
        let ro = k
            .effective(Some("read-only-port"), &["readOnlyPort"])
            .unwrap();
        assert_eq!(ro.value, "10255");
        assert_eq!(
            ro.source.to_string(),
            "/etc/systemd/system/kubelet.service:2"
        );
        let anon = k
            .effective(
                Some("anonymous-auth"),
                &["authentication", "anonymous", "enabled"],
            )
            .unwrap();
        assert_eq!(anon.value, "true");
        assert_eq!(
            anon.source.to_string(),
            "/etc/kubernetes/kubelet.conf.d/50-anon.conf:5"
        );
        let mode = k
            .effective(Some("authorization-mode"), &["authorization", "mode"])
            .unwrap();
        assert_eq!(mode.value, "Webhook");
        assert!(mode.source.is_default());
        let ca = k
            .path_setting(
                Some("client-ca-file"),
                &["authentication", "x509", "clientCAFile"],
            )
            .unwrap();
        assert_eq!(ca.value, "/var/lib/kubelet/pki/ca.crt");
        assert_eq!(
            k.feature_gate("RotateKubeletServerCertificate")
                .unwrap()
                .value,
            "false"
        );
        assert_eq!(k.feature_gate("SeccompDefault").unwrap().value, "true");
    }

    #[test]
    fn without_a_config_file_the_legacy_defaults_apply() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("lib/systemd/system")).unwrap();
        let unit = t.path().join("lib/systemd/system/kubelet.service");
        std::fs::write(
            &unit,
            "[Service]\nExecStart=/usr/bin/kubelet --kubeconfig=/etc/kubernetes/kubelet.conf\n",
        )
        .unwrap();
        let root = Root::new(t.path(), None).unwrap();
        let mut problems = Vec::new();
        let k = resolve(&root, None, &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let anon = k
            .effective(
                Some("anonymous-auth"),
                &["authentication", "anonymous", "enabled"],
            )
            .unwrap();
        assert_eq!(anon.value, "true");
        assert_eq!(
            anon.source.to_string(),
            "default: kubelet flag default (no --config file)"
        );
        assert_eq!(
            k.effective(Some("read-only-port"), &["readOnlyPort"])
                .unwrap()
                .value,
            "10255"
        );

        // A --config that cannot be read: reported, and the file's values are unknown.
        std::fs::write(
            &unit,
            "[Service]\nExecStart=/usr/bin/kubelet --config=/missing.yaml\n",
        )
        .unwrap();
        let k = resolve(&root, None, &mut problems).unwrap();
        assert!(k.config_failed);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "/missing.yaml: no such file (the kubelet's --config, set at /lib/systemd/system/kubelet.service:2)"
        );
    }
}
