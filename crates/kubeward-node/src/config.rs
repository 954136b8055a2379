//! The node's effective configuration: which components run here and with what.
//!
//! Control-plane components and etcd come from their static pod manifests (the directory the
//! kubelet's `staticPodPath` names, kubeadm's `/etc/kubernetes/manifests` by default) and from
//! their running processes. When both exist and give the same command line, the manifest's
//! lines are the sources; when they differ, the running process is what is checked (a note
//! says so).

use crate::error::{Error, Problem};
use crate::flags::{CommandLine, Token};
use crate::fsroot::Root;
use crate::kubelet::{self, Kubelet};
use crate::origin::{Origin, Setting};
use crate::procs::{self, Process};
use crate::staticpod::{self, StaticPod};
use serde::Serialize;

/// A control-plane component, etcd or kube-proxy.
#[derive(Debug, Clone)]
pub struct Component {
    pub name: &'static str,
    /// The static pod manifest (node path).
    pub manifest: Option<String>,
    /// The running process.
    pub pid: Option<u32>,
    pub cmd: CommandLine,
    /// Literal environment of the static pod's container.
    pub env: Vec<(String, Setting)>,
    pub image: Option<Setting>,
}

impl Component {
    pub fn flag(&self, name: &str) -> Option<Setting> {
        self.cmd.get(name)
    }

    /// A flag, else the environment variable that stands for it (etcd's `ETCD_*`): flags win.
    pub fn flag_or_env(&self, flag: &str, env: &str) -> Option<Setting> {
        self.flag(flag).or_else(|| {
            self.env
                .iter()
                .rev()
                .find(|(n, _)| n == env)
                .map(|(_, s)| s.clone())
        })
    }

    /// Where this component's configuration was read.
    pub fn described(&self) -> String {
        match (&self.manifest, self.pid) {
            (Some(m), Some(pid)) => format!("{m} (running: pid {pid})"),
            (Some(m), None) => m.clone(),
            (None, Some(pid)) => format!("process {pid}"),
            (None, None) => "nowhere".into(),
        }
    }
}

/// What the node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    ControlPlane,
    Etcd,
    Worker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ControlPlane => "control-plane",
            Role::Etcd => "etcd",
            Role::Worker => "worker",
        }
    }
}

/// The node's effective configuration.
#[derive(Debug)]
pub struct NodeConfig {
    pub root: Root,
    pub apiserver: Option<Component>,
    pub controller_manager: Option<Component>,
    pub scheduler: Option<Component>,
    pub etcd: Option<Component>,
    pub kubelet: Option<Kubelet>,
    pub proxy: Option<Component>,
    /// The static pod directory used.
    pub static_pod_dir: Setting,
    /// The Kubernetes version, from a control-plane image tag.
    pub version: Option<Setting>,
    pub problems: Vec<Problem>,
    pub notes: Vec<String>,
}

/// kubeadm's static pod directory.
pub const DEFAULT_STATIC_POD_DIR: &str = "/etc/kubernetes/manifests";

impl NodeConfig {
    /// Reads the node's configuration.
    pub fn discover(root: Root) -> Result<NodeConfig, Error> {
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        let processes = procs::scan(root.proc_dir());
        let first = |name: &str| processes.iter().find(|p| p.component == name);
        let kubelet = kubelet::resolve(&root, first("kubelet"), &mut problems);
        if let Some(k) = &kubelet {
            notes.extend(k.notes.iter().cloned());
        }
        let static_pod_dir = kubelet
            .as_ref()
            .and_then(|k| k.path_setting(Some("pod-manifest-path"), &["staticPodPath"]))
            .filter(|s| !s.value.is_empty())
            .unwrap_or_else(|| {
                Setting::new(
                    DEFAULT_STATIC_POD_DIR,
                    Origin::Default("kubeadm's static pod directory"),
                )
            });
        let pods = static_pods(&root, &static_pod_dir.value, &mut problems, &mut notes);
        let mut take = |name: &'static str| {
            let pod = pods
                .iter()
                .find(|(c, _)| *c == name)
                .map(|(_, p)| p.clone());
            reconcile(name, pod, first(name), &mut notes)
        };
        let apiserver = take("kube-apiserver");
        let controller_manager = take("kube-controller-manager");
        let scheduler = take("kube-scheduler");
        let etcd = take("etcd");
        let proxy = take("kube-proxy");
        if apiserver.is_none() && etcd.is_none() && kubelet.is_none() {
            return Err(Error::NothingFound {
                root: root.dir().display().to_string(),
            });
        }
        let version = [&apiserver, &controller_manager, &scheduler, &proxy]
            .into_iter()
            .flatten()
            .find_map(|c| {
                let img = c.image.as_ref()?;
                let (ma, mi, pa) = staticpod::image_version(&img.value)?;
                Some(Setting::new(format!("{ma}.{mi}.{pa}"), img.source.clone()))
            });
        Ok(NodeConfig {
            root,
            apiserver,
            controller_manager,
            scheduler,
            etcd,
            kubelet,
            proxy,
            static_pod_dir,
            version,
            problems,
            notes,
        })
    }

    /// The node's roles, in a fixed order.
    pub fn roles(&self) -> Vec<Role> {
        let mut r = Vec::new();
        if self.apiserver.is_some() {
            r.push(Role::ControlPlane);
        }
        if self.etcd.is_some() {
            r.push(Role::Etcd);
        }
        if self.kubelet.is_some() {
            r.push(Role::Worker);
        }
        r
    }
}

/// Static pod files read at most (a manifests directory holds a handful).
const MAX_STATIC_PODS: usize = 256;

fn static_pods(
    root: &Root,
    dir: &str,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<String>,
) -> Vec<(&'static str, StaticPod)> {
    let mut out: Vec<(&'static str, StaticPod)> = Vec::new();
    let dir = dir.trim_end_matches('/');
    for name in root.list(dir).into_iter().take(MAX_STATIC_PODS) {
        if name.starts_with('.')
            || !(name.ends_with(".yaml")
                || name.ends_with(".yml")
                || name.ends_with(".json")
                || name.ends_with(".manifest"))
        {
            continue;
        }
        let path = format!("{dir}/{name}");
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        let hint = procs::COMPONENTS.iter().copied().find(|c| *c == stem);
        let parsed = root
            .read(&path)
            .and_then(|text| staticpod::parse(&path, &text, hint));
        match parsed {
            Ok(pod) => match staticpod::component_of(&pod) {
                Some(c) if !out.iter().any(|(o, _)| *o == c) => out.push((c, pod)),
                Some(c) => notes.push(format!(
                    "{path} also runs {c}; the first manifest ({}) is checked",
                    out.iter()
                        .find(|(o, _)| *o == c)
                        .map_or("", |(_, p)| p.path.as_str())
                )),
                None => {}
            },
            // A component's manifest that does not parse is an error; another file in the
            // directory is noted.
            Err(e) if hint.is_some() => problems.push(e),
            Err(e) => notes.push(format!("skipped {e}")),
        }
    }
    out
}

fn reconcile(
    name: &'static str,
    pod: Option<StaticPod>,
    process: Option<&Process>,
    notes: &mut Vec<String>,
) -> Option<Component> {
    let (words, manifest, pid, env, image): (Vec<Token>, _, _, _, _) = match (pod, process) {
        (None, None) => return None,
        (Some(p), None) => (p.words, Some(p.path), None, p.env, p.image),
        (None, Some(proc_)) => (proc_.words.clone(), None, Some(proc_.pid), Vec::new(), None),
        (Some(p), Some(proc_)) => {
            let a = CommandLine::parse(p.words.clone());
            let b = CommandLine::parse(proc_.words.clone());
            if a.words() == b.words() {
                (p.words, Some(p.path), Some(proc_.pid), p.env, p.image)
            } else {
                notes.push(format!(
                    "{name}: the running process (pid {}) has another command line than {}: the \
                     running one is checked",
                    proc_.pid, p.path
                ));
                (
                    proc_.words.clone(),
                    Some(p.path),
                    Some(proc_.pid),
                    p.env,
                    p.image,
                )
            }
        }
    };
    Some(Component {
        name,
        manifest,
        pid,
        cmd: CommandLine::parse(words),
        env,
        image,
    })
}
