//! One typed view of the pod spec inside every pod-template-bearing kind.
//!
//! Rules written against [`PodView`] work on Pods, Deployments, StatefulSets, DaemonSets,
//! ReplicaSets, ReplicationControllers, Jobs, CronJobs and PodTemplates alike, and see
//! containers, initContainers and ephemeralContainers through one iterator.

use crate::node::Node;
use crate::object::Object;

/// Which list of a pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerList {
    Containers,
    InitContainers,
    EphemeralContainers,
}

impl ContainerList {
    pub const ALL: [ContainerList; 3] = [
        ContainerList::InitContainers,
        ContainerList::Containers,
        ContainerList::EphemeralContainers,
    ];

    pub fn field(self) -> &'static str {
        match self {
            ContainerList::Containers => "containers",
            ContainerList::InitContainers => "initContainers",
            ContainerList::EphemeralContainers => "ephemeralContainers",
        }
    }
}

/// The pod spec of a workload, with the JSON pointers needed to report on it. Built once per
/// object and shared by every rule: the containers and the securityContexts are found once.
#[derive(Debug, Clone)]
pub struct PodView<'a> {
    pub object: &'a Object,
    /// The pod spec (`spec`, `spec.template.spec`, ...).
    pub spec: &'a Node,
    /// JSON pointer of `spec` within the object.
    pub spec_ptr: &'static str,
    /// The pod (template) metadata, when present.
    pub meta: Option<&'a Node>,
    /// JSON pointer of the pod (template) metadata.
    pub meta_ptr: &'static str,
    /// The pod-level securityContext, when it is set.
    sc: Option<&'a Node>,
    /// Every container: init, regular, ephemeral.
    containers: Vec<ContainerView<'a>>,
}

/// Where a kind keeps its pod spec and pod metadata.
#[derive(Debug, Clone, Copy)]
pub struct PodPaths {
    pub spec: &'static [&'static str],
    pub spec_ptr: &'static str,
    pub meta: &'static [&'static str],
    pub meta_ptr: &'static str,
}

/// The pod paths of a kind; `None` for kinds without a pod template.
pub fn pod_paths(kind: &str) -> Option<PodPaths> {
    const TEMPLATE: PodPaths = PodPaths {
        spec: &["spec", "template", "spec"],
        spec_ptr: "/spec/template/spec",
        meta: &["spec", "template", "metadata"],
        meta_ptr: "/spec/template/metadata",
    };
    Some(match kind {
        "Pod" => PodPaths {
            spec: &["spec"],
            spec_ptr: "/spec",
            meta: &["metadata"],
            meta_ptr: "/metadata",
        },
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => TEMPLATE,
        "CronJob" => PodPaths {
            spec: &["spec", "jobTemplate", "spec", "template", "spec"],
            spec_ptr: "/spec/jobTemplate/spec/template/spec",
            meta: &["spec", "jobTemplate", "spec", "template", "metadata"],
            meta_ptr: "/spec/jobTemplate/spec/template/metadata",
        },
        "PodTemplate" => PodPaths {
            spec: &["template", "spec"],
            spec_ptr: "/template/spec",
            meta: &["template", "metadata"],
            meta_ptr: "/template/metadata",
        },
        _ => return None,
    })
}

/// Does this kind carry a pod template?
pub fn is_workload_kind(kind: &str) -> bool {
    pod_paths(kind).is_some()
}

impl<'a> PodView<'a> {
    /// The pod view of `object`, if its kind carries a pod spec and the spec is a mapping.
    pub fn of(object: &'a Object) -> Option<PodView<'a>> {
        if !object.builtin {
            return None;
        }
        let paths = pod_paths(&object.kind)?;
        let spec = object.root.path(paths.spec).filter(|n| n.is_map())?;
        let meta = object.root.path(paths.meta).filter(|n| n.is_map());
        let mut containers = Vec::new();
        for list in ContainerList::ALL {
            let items = spec.get(list.field()).map(Node::items).unwrap_or_default();
            for (index, node) in items.iter().enumerate().filter(|(_, n)| n.is_map()) {
                containers.push(ContainerView {
                    node,
                    sc: node.get("securityContext"),
                    list,
                    index,
                    spec_ptr: paths.spec_ptr,
                });
            }
        }
        Some(PodView {
            object,
            spec,
            spec_ptr: paths.spec_ptr,
            meta,
            meta_ptr: paths.meta_ptr,
            sc: spec.get("securityContext"),
            containers,
        })
    }

    /// A field of the pod spec.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.spec.get(key)
    }

    /// A field of the pod-level `securityContext`.
    pub fn sc(&self, key: &str) -> Option<&'a Node> {
        self.sc?.get(key)
    }

    /// JSON pointer of a pod spec field, e.g. `ptr("hostPID")`.
    pub fn ptr<'r>(&self, rest: &'r str) -> Ptr<'r> {
        Ptr {
            spec_ptr: self.spec_ptr,
            container: None,
            sc: false,
            rest,
        }
    }

    /// JSON pointer of a pod-level securityContext field.
    pub fn sc_ptr<'r>(&self, key: &'r str) -> Ptr<'r> {
        Ptr {
            sc: true,
            ..self.ptr(key)
        }
    }

    /// A pod (template) annotation.
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.meta?.get("annotations")?.get(key)?.as_str()
    }

    /// `spec.os.name: windows`: the Windows exemptions of the Pod Security Standards apply.
    pub fn is_windows(&self) -> bool {
        self.spec.path(&["os", "name"]).and_then(Node::as_str) == Some("windows")
    }

    /// `spec.hostUsers: false`: the pod runs in a user namespace.
    pub fn user_namespaced(&self) -> bool {
        self.spec.get("hostUsers").and_then(Node::as_bool) == Some(false)
    }

    /// Every container of every list (init, regular, ephemeral), in that order.
    pub fn containers(&self) -> impl Iterator<Item = ContainerView<'a>> + '_ {
        self.containers.iter().copied()
    }

    /// The hostPath volumes: `(index, volume, path)` for each volume whose `hostPath.path` is
    /// a string.
    pub fn host_path_volumes(&self) -> impl Iterator<Item = (usize, &'a Node, &'a str)> + 'a {
        self.volumes().filter_map(|(i, v)| {
            let path = v.path(&["hostPath", "path"])?.as_str()?;
            Some((i, v, path))
        })
    }

    /// The volumes of the pod spec.
    pub fn volumes(&self) -> impl Iterator<Item = (usize, &'a Node)> + 'a {
        self.spec
            .get("volumes")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_map())
    }
}

/// One container of a pod spec.
#[derive(Debug, Clone, Copy)]
pub struct ContainerView<'a> {
    pub node: &'a Node,
    /// The container's own securityContext, when it is set.
    sc: Option<&'a Node>,
    pub list: ContainerList,
    pub index: usize,
    spec_ptr: &'static str,
}

impl<'a> ContainerView<'a> {
    pub fn name(&self) -> &'a str {
        self.node
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>")
    }

    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key)
    }

    /// The container's image reference, when it is a string.
    pub fn image(&self) -> Option<&'a str> {
        self.node.get("image")?.as_str()
    }

    /// A field of the container's own `securityContext`.
    pub fn sc(&self, key: &str) -> Option<&'a Node> {
        self.sc?.get(key)
    }

    /// A securityContext field as it applies to this container: the container's own value, or
    /// the pod-level one it inherits. Returns the node and its JSON pointer.
    pub fn effective_sc<'r>(&self, pod: &PodView<'a>, key: &'r str) -> Option<(&'a Node, Ptr<'r>)> {
        if let Some(n) = self.sc(key) {
            return Some((n, self.sc_ptr(key)));
        }
        pod.sc(key).map(|n| (n, pod.sc_ptr(key)))
    }

    /// JSON pointer of the container.
    pub fn ptr(&self) -> Ptr<'static> {
        self.field_ptr("")
    }

    /// JSON pointer of a field of the container, e.g. `field_ptr("image")`.
    pub fn field_ptr<'r>(&self, rest: &'r str) -> Ptr<'r> {
        Ptr {
            spec_ptr: self.spec_ptr,
            container: Some((self.list, self.index)),
            sc: false,
            rest,
        }
    }

    /// JSON pointer of a container securityContext field.
    pub fn sc_ptr<'r>(&self, key: &'r str) -> Ptr<'r> {
        Ptr {
            sc: true,
            ..self.field_ptr(key)
        }
    }

    /// "container `app`" / "init container `setup`" / "ephemeral container `debug`".
    pub fn describe(&self) -> Describe<'a> {
        Describe {
            list: self.list,
            name: self.name(),
        }
    }
}

/// A JSON pointer into a pod spec, written out only when displayed (or `to_string()`), so
/// reporting a finding needs no allocation for it.
#[derive(Debug, Clone, Copy)]
pub struct Ptr<'r> {
    spec_ptr: &'static str,
    container: Option<(ContainerList, usize)>,
    sc: bool,
    rest: &'r str,
}

impl std::fmt::Display for Ptr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.spec_ptr)?;
        if let Some((list, index)) = self.container {
            write!(f, "/{}/{index}", list.field())?;
        }
        if self.sc {
            f.write_str("/securityContext")?;
        }
        if !self.rest.is_empty() {
            write!(f, "/{}", self.rest)?;
        }
        Ok(())
    }
}

/// "container `app`", "init container `setup`", "ephemeral container `debug`".
#[derive(Debug, Clone, Copy)]
pub struct Describe<'a> {
    list: ContainerList,
    name: &'a str,
}

impl std::fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.list {
            ContainerList::Containers => "container",
            ContainerList::InitContainers => "init container",
            ContainerList::EphemeralContainers => "ephemeral container",
        };
        write!(f, "{what} `{}`", self.name)
    }
}
