//! Static pod manifests (kubeadm's `/etc/kubernetes/manifests/*.yaml`): the component's
//! command line (`command` + `args`, `$(VAR)` references expanded from the container's `env`
//! as the kubelet does), its environment, and its image.

use crate::error::Problem;
use crate::flags::Token;
use crate::origin::{Origin, Setting};
use crate::yamlfile::{expect_kind, parse_text};
use kubeward_core::{Node, Value};

/// What a static pod runs.
#[derive(Debug, Clone)]
pub struct StaticPod {
    /// Node path of the manifest.
    pub path: String,
    /// The container's command line, program first.
    pub words: Vec<Token>,
    /// The container's literal environment (`value:`; `valueFrom` is not resolvable here).
    pub env: Vec<(String, Setting)>,
    pub image: Option<Setting>,
    /// The container's name.
    pub container: String,
}

/// The component a static pod runs, judged from its container command or image.
pub fn component_of(pod: &StaticPod) -> Option<&'static str> {
    let program = pod
        .words
        .first()
        .map(|t| t.text.rsplit('/').next().unwrap_or(&t.text).to_string())
        .unwrap_or_default();
    let image_name = pod
        .image
        .as_ref()
        .map(|i| image_repo_name(&i.value).to_string())
        .unwrap_or_default();
    crate::procs::COMPONENTS
        .iter()
        .copied()
        .find(|name| program == *name || image_name == *name)
}

/// `registry.k8s.io/kube-apiserver:v1.30.2@sha256:...` → `kube-apiserver`.
pub fn image_repo_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

/// `registry.k8s.io/kube-apiserver:v1.30.2` → `(1, 30, 2)`.
pub fn image_version(image: &str) -> Option<(u32, u32, u32)> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    let (_, tag) = last.split_once(':')?;
    parse_version(tag)
}

/// `v1.30.2`, `1.30`, `v1.31.0-rc.1` → numbers (patch 0 when absent).
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let s = s.trim().trim_start_matches('v');
    let core = s.split(['-', '+']).next().unwrap_or(s);
    let mut it = core.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    let patch = match it.next() {
        Some(p) => p.parse().ok()?,
        None => 0,
    };
    if it.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

/// Parses a static pod manifest. `name_hint` chooses the container when the pod has several
/// (the one whose command or image names the component).
pub fn parse(path: &str, text: &str, name_hint: Option<&str>) -> Result<StaticPod, Problem> {
    let doc = parse_text(path, text)?;
    expect_kind(path, &doc, "Pod", &[""])?;
    let containers = doc.path(&["spec", "containers"]).ok_or_else(|| {
        Problem::new(
            path,
            doc.pos.line,
            doc.pos.col,
            "expected spec.containers in a static pod manifest",
        )
    })?;
    let list = containers.items();
    if list.is_empty() {
        return Err(Problem::new(
            path,
            containers.pos.line,
            containers.pos.col,
            format!(
                "expected spec.containers to be a non-empty list, found {}",
                containers.type_name()
            ),
        ));
    }
    let mut chosen = &list[0];
    if let Some(hint) = name_hint {
        for c in list {
            let cmd0 = c
                .get("command")
                .and_then(|n| n.items().first())
                .and_then(Node::as_str)
                .map(|s| s.rsplit('/').next().unwrap_or(s));
            let img = c.get("image").and_then(Node::as_str).map(image_repo_name);
            if cmd0 == Some(hint) || img == Some(hint) {
                chosen = c;
                break;
            }
        }
    }
    let env = env_of(path, chosen)?;
    let mut words = Vec::new();
    for key in ["command", "args"] {
        let Some(list) = chosen.get(key) else {
            continue;
        };
        if !matches!(list.value, Value::Seq(_)) {
            return Err(Problem::new(
                path,
                list.pos.line,
                list.pos.col,
                format!(
                    "expected `{key}` to be a list of strings, found {}",
                    list.type_name()
                ),
            ));
        }
        for item in list.items() {
            let Some(text) = item.scalar_text() else {
                return Err(Problem::new(
                    path,
                    item.pos.line,
                    item.pos.col,
                    format!("expected a string in `{key}`, found {}", item.type_name()),
                ));
            };
            words.push(Token::new(
                expand(&text, &env),
                Origin::file(path, item.pos.line),
            ));
        }
    }
    let image = chosen.get("image").and_then(|n| {
        n.as_str()
            .map(|s| Setting::new(s, Origin::file(path, n.pos.line)))
    });
    let container = chosen
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    Ok(StaticPod {
        path: path.to_string(),
        words,
        env,
        image,
        container,
    })
}

fn env_of(path: &str, container: &Node) -> Result<Vec<(String, Setting)>, Problem> {
    let mut out: Vec<(String, Setting)> = Vec::new();
    let Some(env) = container.get("env") else {
        return Ok(out);
    };
    for item in env.items() {
        let Some(name) = item.get("name").and_then(Node::as_str) else {
            return Err(Problem::new(
                path,
                item.pos.line,
                item.pos.col,
                "expected `name` in an env entry",
            ));
        };
        // valueFrom (Secrets, ConfigMaps, fields) cannot be resolved from the node's files.
        let Some(value) = item.get("value") else {
            continue;
        };
        let text = value.scalar_text().unwrap_or_default();
        let text = expand(&text, &out);
        let setting = Setting::new(text, Origin::file(path, value.pos.line));
        match out.iter_mut().find(|(n, _)| n == name) {
            Some(e) => e.1 = setting,
            None => out.push((name.to_string(), setting)),
        }
    }
    Ok(out)
}

/// Kubernetes' `$(VAR)` expansion in command, args and env values: `$(NAME)` of a defined
/// variable is replaced, `$$` is a literal `$`, anything else is kept as written.
pub fn expand(s: &str, env: &[(String, Setting)]) -> String {
    if !s.contains('$') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        if let Some(after) = tail.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(inner) = tail.strip_prefix('(')
            && let Some(end) = inner.find(')')
        {
            let name = &inner[..end];
            match env.iter().rev().find(|(n, _)| n == name) {
                Some((_, v)) => out.push_str(&v.value),
                None => {
                    out.push_str("$(");
                    out.push_str(name);
                    out.push(')');
                }
            }
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.30.2
    command:
    - kube-apiserver
    - --advertise-address=$(POD_IP)
    - --profiling=$$(literal)
    args: [\"--x=1\"]
    env:
    - name: POD_IP
      value: 10.0.0.5
    - name: FROM_SECRET
      valueFrom: {secretKeyRef: {name: s, key: k}}
";

    #[test]
    fn command_args_env_and_image() {
        let pod = parse("/etc/kubernetes/manifests/kube-apiserver.yaml", POD, None).unwrap();
        let words: Vec<&str> = pod.words.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            words,
            [
                "kube-apiserver",
                "--advertise-address=10.0.0.5",
                "--profiling=$(literal)",
                "--x=1"
            ]
        );
        assert_eq!(
            pod.words[1].origin.to_string(),
            "/etc/kubernetes/manifests/kube-apiserver.yaml:11"
        );
        assert_eq!(pod.env.len(), 1);
        assert_eq!(component_of(&pod), Some("kube-apiserver"));
        assert_eq!(image_version(&pod.image.unwrap().value), Some((1, 30, 2)));
    }

    #[test]
    fn bad_manifests_are_problems_with_lines() {
        let e = parse("/m.yaml", "apiVersion: v1\nkind: Service\n", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/m.yaml:2:7: expected kind Pod, found kind Service"
        );
        let e = parse(
            "/m.yaml",
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    command: [1, {a: b}]\n",
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("expected a string in `command`"), "{e}");
        assert_eq!(e.line, 6);
        let e = parse("/m.yaml", "apiVersion: v1\nkind: Pod\nspec: {}\n", None).unwrap_err();
        assert!(e.message.contains("spec.containers"));
        let e = parse(
            "/m.yaml",
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    command: kube-apiserver\n",
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("list of strings"), "{e}");
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("v1.31.0-rc.1"), Some((1, 31, 0)));
        assert_eq!(parse_version("1.29"), Some((1, 29, 0)));
        assert_eq!(parse_version("latest"), None);
        assert_eq!(
            image_version("reg:5000/kube-apiserver:v1.28.1@sha256:ab"),
            Some((1, 28, 1))
        );
        assert_eq!(image_version("kube-apiserver@sha256:ab"), None);
        assert_eq!(image_repo_name("reg:5000/x/etcd:3.5.9-0"), "etcd");
    }
}
