//! Patches: for `patch` requests the audit `requestObject` is the patch, not the object. A
//! merge or strategic-merge patch is already a partial object; a JSON patch (RFC 6902, an
//! array of operations) is turned into one holding what its `add`/`replace` operations set, so
//! the same checks read both ("does the change set `privileged: true`?").

use serde_json::{Map, Value};

/// The partial object a request body sets: the body itself for objects and merge patches, the
/// values written by `add`/`replace`/`copy`-less operations for a JSON patch.
pub fn as_partial_object(body: Value) -> Value {
    match body {
        Value::Array(ops) if ops.iter().all(|o| o.get("op").is_some()) => {
            let mut root = Value::Object(Map::new());
            for op in &ops {
                let kind = op.get("op").and_then(Value::as_str).unwrap_or("");
                if !matches!(kind, "add" | "replace") {
                    continue;
                }
                let (Some(path), Some(value)) =
                    (op.get("path").and_then(Value::as_str), op.get("value"))
                else {
                    continue;
                };
                set_pointer(&mut root, path, value.clone());
            }
            root
        }
        other => other,
    }
}

/// JSON-patch operations of `body` (`None` when it is not a JSON patch): `(op, path, value)`.
pub fn json_patch_ops(body: &Value) -> Option<Vec<(&str, &str, Option<&Value>)>> {
    let ops = body.as_array()?;
    if ops.is_empty() || !ops.iter().all(|o| o.get("op").is_some()) {
        return None;
    }
    Some(
        ops.iter()
            .map(|o| {
                (
                    o.get("op").and_then(Value::as_str).unwrap_or(""),
                    o.get("path").and_then(Value::as_str).unwrap_or(""),
                    o.get("value"),
                )
            })
            .collect(),
    )
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

const MAX_INDEX: usize = 1024;

/// Sets `value` at JSON pointer `path` in `root`, creating objects and arrays on the way
/// (numeric segments and `-` make arrays; absurd indices are ignored).
fn set_pointer(root: &mut Value, path: &str, value: Value) {
    let Some(rest) = path.strip_prefix('/') else {
        if path.is_empty() {
            *root = value;
        }
        return;
    };
    let segs: Vec<String> = rest.split('/').map(unescape).collect();
    let mut cur = root;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let next_is_index = segs
            .get(i + 1)
            .is_some_and(|s| s == "-" || s.parse::<usize>().is_ok());
        let fresh = || {
            if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        };
        match cur {
            Value::Object(map) => {
                if last {
                    map.insert(seg.clone(), value);
                    return;
                }
                let slot = map.entry(seg.clone()).or_insert_with(fresh);
                if !(slot.is_object() || slot.is_array()) {
                    *slot = fresh();
                }
                cur = slot;
            }
            Value::Array(arr) => {
                let idx = if seg == "-" {
                    arr.len()
                } else {
                    match seg.parse::<usize>() {
                        Ok(i) if i <= MAX_INDEX => i,
                        _ => return,
                    }
                };
                while arr.len() <= idx {
                    arr.push(Value::Null);
                }
                if last {
                    arr[idx] = value;
                    return;
                }
                if !(arr[idx].is_object() || arr[idx].is_array()) {
                    arr[idx] = fresh();
                }
                cur = &mut arr[idx];
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_patch_becomes_a_partial_object() {
        let p = json!([
            {"op": "replace", "path": "/spec/type", "value": "NodePort"},
            {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "evil", "securityContext": {"privileged": true}}},
            {"op": "add", "path": "/rules/0/verbs/-", "value": "*"},
            {"op": "remove", "path": "/spec/x"},
            {"op": "add", "path": "/metadata/annotations/a~1b", "value": "x"},
            {"op": "add", "path": "/huge/99999999", "value": 1}
        ]);
        let o = as_partial_object(p);
        assert_eq!(o["spec"]["type"], "NodePort");
        assert_eq!(
            o["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"],
            true
        );
        assert_eq!(o["rules"][0]["verbs"][0], "*");
        assert_eq!(o["metadata"]["annotations"]["a/b"], "x");
        let merge = json!({"spec": {"type": "NodePort"}});
        assert_eq!(as_partial_object(merge.clone()), merge);
        assert!(json_patch_ops(&json!({"a": 1})).is_none());
        assert_eq!(
            json_patch_ops(&json!([{"op": "add", "path": "/a", "value": 1}]))
                .unwrap()
                .len(),
            1
        );
    }
}
