//! Custom rules: a small expression language over event fields.
//!
//! ```text
//! subresource == "exec" && namespace in ["prod", "payments"] && user ~ "ci-*"
//! resource == "pods" && verb == "create" && request("/spec/hostNetwork") == true
//! groups contains "system:masters" && !(source_ip ~ "10.*") && code >= 400
//! ```
//!
//! Fields: `verb`, `resource`, `subresource`, `namespace`, `name`, `group`, `user` (the
//! identity acted as), `authenticated_user`, `impersonated` (bool), `groups` (list), `kind`
//! (`person`, `service-account`, `control-plane`, `node`, `anonymous`, `unknown`), `source_ip`
//! (the first), `source_ips` (list), `user_agent`, `code` (number, 0 when absent), `stage`,
//! `level`, `uri`, `path`, `decision`, `command` (the decoded exec command, space-joined).
//! `request("/json/pointer")` reads the request body (for a patch: what it sets).
//! Operators: `==` `!=` `~` (glob with `*`) `!~` `<` `<=` `>` `>=` `in [...]` `contains`,
//! `&&`, `||`, `!`, parentheses; literals: strings in double quotes, numbers, `true`, `false`,
//! `null`. A field that is absent is `""` (strings), `0` (`code`) or `null` (`request(...)`).

use crate::config::glob_match;
use crate::detect::Principal;
use crate::event::Event;
use serde_json::Value as Json;
use std::fmt;

/// A parse error at a byte offset of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "column {} of the expression: {}",
            self.offset + 1,
            self.message
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Verb,
    Resource,
    Subresource,
    Namespace,
    Name,
    Group,
    User,
    AuthenticatedUser,
    Impersonated,
    Groups,
    Kind,
    SourceIp,
    SourceIps,
    UserAgent,
    Code,
    Stage,
    Level,
    Uri,
    Path,
    Decision,
    Command,
}

const FIELDS: &[(&str, Field)] = &[
    ("verb", Field::Verb),
    ("resource", Field::Resource),
    ("subresource", Field::Subresource),
    ("namespace", Field::Namespace),
    ("name", Field::Name),
    ("group", Field::Group),
    ("user", Field::User),
    ("authenticated_user", Field::AuthenticatedUser),
    ("impersonated", Field::Impersonated),
    ("groups", Field::Groups),
    ("kind", Field::Kind),
    ("source_ip", Field::SourceIp),
    ("source_ips", Field::SourceIps),
    ("user_agent", Field::UserAgent),
    ("code", Field::Code),
    ("stage", Field::Stage),
    ("level", Field::Level),
    ("uri", Field::Uri),
    ("path", Field::Path),
    ("decision", Field::Decision),
    ("command", Field::Command),
];

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Field(Field),
    Request(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    List(Vec<Operand>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Glob,
    NotGlob,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Or(Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Cmp(Operand, Op, Operand),
    Truthy(Operand),
}

/// A compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr(Node);

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    List(Vec<Val>),
}

impl Val {
    fn truthy(&self) -> bool {
        match self {
            Val::Str(s) => !s.is_empty(),
            Val::Num(n) => *n != 0.0,
            Val::Bool(b) => *b,
            Val::Null => false,
            Val::List(l) => !l.is_empty(),
        }
    }

    fn from_json(j: &Json) -> Val {
        match j {
            Json::Null => Val::Null,
            Json::Bool(b) => Val::Bool(*b),
            Json::Number(n) => Val::Num(n.as_f64().unwrap_or(0.0)),
            Json::String(s) => Val::Str(s.clone()),
            Json::Array(a) => Val::List(a.iter().map(Val::from_json).collect()),
            Json::Object(_) => Val::Str(j.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

struct P<'s> {
    s: &'s str,
    i: usize,
}

impl<'s> P<'s> {
    fn err<T>(&self, msg: impl Into<String>) -> Result<T, ExprError> {
        Err(ExprError {
            offset: self.i,
            message: msg.into(),
        })
    }

    fn ws(&mut self) {
        while self.s[self.i..].starts_with(|c: char| c.is_whitespace()) {
            self.i += self.s[self.i..].chars().next().map_or(1, char::len_utf8);
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(tok) {
            // Keywords must not run into an identifier (`in` vs `index`).
            let word = tok.chars().all(|c| c.is_ascii_alphabetic());
            let next = self.s[self.i + tok.len()..].chars().next();
            if word && next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                return false;
            }
            self.i += tok.len();
            return true;
        }
        false
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        let mut l = self.and()?;
        while self.eat("||") {
            let r = self.and()?;
            l = Node::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut l = self.unary()?;
        while self.eat("&&") {
            let r = self.unary()?;
            l = Node::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        self.ws();
        if self.s[self.i..].starts_with("!")
            && !self.s[self.i..].starts_with("!=")
            && !self.s[self.i..].starts_with("!~")
        {
            self.i += 1;
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        let save = self.i;
        if self.eat("(") {
            let e = self.or()?;
            if !self.eat(")") {
                return self.err("expected `)`");
            }
            return Ok(e);
        }
        self.i = save;
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Node, ExprError> {
        let l = self.operand()?;
        let ops: [(&str, Op); 10] = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("!~", Op::NotGlob),
            ("~", Op::Glob),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("in", Op::In),
            ("contains", Op::Contains),
        ];
        for (tok, op) in ops {
            if self.eat(tok) {
                let r = self.operand()?;
                if op == Op::In
                    && !matches!(
                        r,
                        Operand::List(_) | Operand::Field(Field::Groups | Field::SourceIps)
                    )
                {
                    return self.err("`in` needs a list (`[\"a\", \"b\"]`) or a list field");
                }
                return Ok(Node::Cmp(l, op, r));
            }
        }
        Ok(Node::Truthy(l))
    }

    fn string(&mut self) -> Result<String, ExprError> {
        // At an opening quote.
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        let mut chars = self.s[self.i..].char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                '"' => {
                    self.i += k + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    _ => {
                        self.i += k;
                        return self.err("unknown escape (use \\\" \\\\ \\n \\t)");
                    }
                },
                c => out.push(c),
            }
        }
        self.i = start;
        self.err("unterminated string")
    }

    fn operand(&mut self) -> Result<Operand, ExprError> {
        self.ws();
        let rest = &self.s[self.i..];
        let Some(c) = rest.chars().next() else {
            return self.err("expected a value, found the end of the expression");
        };
        if c == '"' {
            return Ok(Operand::Str(self.string()?));
        }
        if c == '[' {
            self.i += 1;
            let mut items = Vec::new();
            if self.eat("]") {
                return Ok(Operand::List(items));
            }
            loop {
                let o = self.operand()?;
                if matches!(
                    o,
                    Operand::Field(_) | Operand::Request(_) | Operand::List(_)
                ) {
                    return self.err("list items must be literals");
                }
                items.push(o);
                if self.eat("]") {
                    return Ok(Operand::List(items));
                }
                if !self.eat(",") {
                    return self.err("expected `,` or `]`");
                }
            }
        }
        if c.is_ascii_digit() || c == '-' {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_digit() || ch == '.' || ch == '-'))
                .unwrap_or(rest.len());
            return match rest[..len].parse::<f64>() {
                Ok(n) => {
                    self.i += len;
                    Ok(Operand::Num(n))
                }
                Err(_) => self.err(format!("`{}` is not a number", &rest[..len])),
            };
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..len];
            let at = self.i;
            self.i += len;
            match word {
                "true" => return Ok(Operand::Bool(true)),
                "false" => return Ok(Operand::Bool(false)),
                "null" => return Ok(Operand::Null),
                "request" => {
                    if !self.eat("(") {
                        return self.err("expected `(` after `request`");
                    }
                    self.ws();
                    if !self.s[self.i..].starts_with('"') {
                        return self.err(
                            "expected a JSON pointer in quotes: request(\"/spec/hostNetwork\")",
                        );
                    }
                    let ptr = self.string()?;
                    if !(ptr.is_empty() || ptr.starts_with('/')) {
                        return self.err("a JSON pointer starts with `/`");
                    }
                    if !self.eat(")") {
                        return self.err("expected `)`");
                    }
                    return Ok(Operand::Request(ptr));
                }
                _ => {}
            }
            return match FIELDS.iter().find(|(n, _)| *n == word) {
                Some((_, f)) => Ok(Operand::Field(*f)),
                None => {
                    self.i = at;
                    let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
                    self.err(format!(
                        "unknown field `{word}` (fields: {}, request(\"/pointer\"))",
                        names.join(", ")
                    ))
                }
            };
        }
        self.err(format!("unexpected `{c}`"))
    }
}

impl Expr {
    /// Compiles an expression.
    pub fn parse(s: &str) -> Result<Expr, ExprError> {
        if s.len() > 10_000 {
            return Err(ExprError {
                offset: 0,
                message: "expression longer than 10,000 characters".into(),
            });
        }
        let mut p = P { s, i: 0 };
        let e = p.or()?;
        p.ws();
        if p.i < s.len() {
            return p.err(format!(
                "unexpected `{}`",
                &s[p.i..].chars().take(12).collect::<String>()
            ));
        }
        Ok(Expr(e))
    }

    /// Does the event match? `principal` is the acting identity's kind; `body` caches the
    /// parsed request body between rules.
    pub fn eval(
        &self,
        ev: &Event<'_>,
        principal: Principal,
        body: &mut Option<Option<Json>>,
    ) -> bool {
        self.0.eval(ev, principal, body)
    }
}

impl Node {
    fn eval(&self, ev: &Event<'_>, principal: Principal, body: &mut Option<Option<Json>>) -> bool {
        match self {
            Node::Or(a, b) => a.eval(ev, principal, body) || b.eval(ev, principal, body),
            Node::And(a, b) => a.eval(ev, principal, body) && b.eval(ev, principal, body),
            Node::Not(a) => !a.eval(ev, principal, body),
            Node::Truthy(o) => value(o, ev, principal, body).truthy(),
            Node::Cmp(l, op, r) => {
                let (l, r) = (value(l, ev, principal, body), value(r, ev, principal, body));
                compare(&l, *op, &r)
            }
        }
    }
}

/// The text of a field for a message template (`{user}`); `None` for an unknown name.
pub fn field_text(name: &str, ev: &Event<'_>, principal: Principal) -> Option<String> {
    let f = FIELDS.iter().find(|(n, _)| *n == name)?.1;
    Some(match value(&Operand::Field(f), ev, principal, &mut None) {
        Val::Str(s) => s,
        Val::Num(n) => format!("{n}"),
        Val::Bool(b) => b.to_string(),
        Val::Null => String::new(),
        Val::List(l) => l
            .iter()
            .map(|v| match v {
                Val::Str(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
    })
}

fn value(
    o: &Operand,
    ev: &Event<'_>,
    principal: Principal,
    body: &mut Option<Option<Json>>,
) -> Val {
    let s = |x: &str| Val::Str(x.to_string());
    match o {
        Operand::Str(x) => s(x),
        Operand::Num(n) => Val::Num(*n),
        Operand::Bool(b) => Val::Bool(*b),
        Operand::Null => Val::Null,
        Operand::List(items) => Val::List(
            items
                .iter()
                .map(|i| value(i, ev, principal, body))
                .collect(),
        ),
        Operand::Request(ptr) => {
            let b =
                body.get_or_insert_with(|| ev.request_body().map(crate::patch::as_partial_object));
            b.as_ref()
                .and_then(|b| b.pointer(ptr))
                .map_or(Val::Null, Val::from_json)
        }
        Operand::Field(f) => match f {
            Field::Verb => s(ev.verb()),
            Field::Resource => s(ev.resource()),
            Field::Subresource => s(ev.subresource()),
            Field::Namespace => s(ev.namespace()),
            Field::Name => s(ev.name()),
            Field::Group => s(ev.api_group()),
            Field::User => s(ev.effective_username()),
            Field::AuthenticatedUser => s(ev.username()),
            Field::Impersonated => Val::Bool(ev.impersonated().is_some()),
            Field::Groups => Val::List(
                ev.effective_user()
                    .map(|u| u.groups.iter().map(|g| s(g)).collect())
                    .unwrap_or_default(),
            ),
            Field::Kind => s(principal.as_str()),
            Field::SourceIp => s(ev.source_ips.first().map_or("", |x| x.as_ref())),
            Field::SourceIps => Val::List(ev.source_ips.iter().map(|x| s(x)).collect()),
            Field::UserAgent => s(ev.user_agent()),
            Field::Code => Val::Num(f64::from(ev.code().unwrap_or(0))),
            Field::Stage => s(ev.stage().as_str()),
            Field::Level => s(ev.level.as_deref().unwrap_or("")),
            Field::Uri => s(ev.request_uri()),
            Field::Path => s(ev.path()),
            Field::Decision => s(ev.decision().unwrap_or("")),
            Field::Command => s(&ev.exec_command().join(" ")),
        },
    }
}

fn compare(l: &Val, op: Op, r: &Val) -> bool {
    match op {
        Op::Eq => l == r,
        Op::Ne => l != r,
        Op::Glob | Op::NotGlob => {
            let m = match (l, r) {
                (Val::Str(a), Val::Str(p)) => glob_match(p, a),
                (Val::List(items), Val::Str(p)) => items
                    .iter()
                    .any(|i| matches!(i, Val::Str(a) if glob_match(p, a))),
                _ => false,
            };
            m == (op == Op::Glob)
        }
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let (Val::Num(a), Val::Num(b)) = (l, r) else {
                return false;
            };
            match op {
                Op::Lt => a < b,
                Op::Le => a <= b,
                Op::Gt => a > b,
                _ => a >= b,
            }
        }
        Op::In => matches!(r, Val::List(items) if items.contains(l)),
        Op::Contains => match l {
            Val::List(items) => items.contains(r),
            Val::Str(a) => matches!(r, Val::Str(b) if a.contains(b.as_str())),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev() -> String {
        r#"{"kind":"Event","auditID":"1","stage":"ResponseComplete","verb":"create","requestURI":"/api/v1/namespaces/prod/pods/p/exec?command=cat&command=%2Fetc%2Fshadow","user":{"username":"ci-bot","groups":["deployers","system:authenticated"]},"sourceIPs":["10.1.2.3"],"objectRef":{"resource":"pods","subresource":"exec","namespace":"prod","name":"p"},"responseStatus":{"code":403},"requestObject":{"spec":{"hostNetwork":true,"containers":[{"name":"c"}]}}}"#.to_string()
    }

    fn check(expr: &str) -> bool {
        let text = ev();
        let e = Event::from_json(&text).unwrap();
        Expr::parse(expr)
            .unwrap_or_else(|err| panic!("{expr}: {err}"))
            .eval(&e, Principal::Person, &mut None)
    }

    #[test]
    fn evaluates() {
        assert!(check(
            r#"subresource == "exec" && namespace in ["prod", "payments"] && user ~ "ci-*""#
        ));
        assert!(check(
            r#"groups contains "deployers" && !(source_ip ~ "192.*") && code >= 400"#
        ));
        assert!(check(
            r#"request("/spec/hostNetwork") == true && request("/spec/containers/0/name") == "c""#
        ));
        assert!(check(
            r#"command ~ "*/etc/shadow" && kind == "person" && !impersonated"#
        ));
        assert!(check(r#"request("/spec/nope") == null || false"#));
        assert!(!check(r#"verb != "create""#));
        assert!(!check(r#"code < 400"#));
        assert!(check(r#"source_ips ~ "10.*" && "10.1.2.3" in source_ips"#));
        assert!(check(
            r#"uri contains "command=cat" && path == "/api/v1/namespaces/prod/pods/p/exec""#
        ));
    }

    #[test]
    fn errors_name_the_column() {
        let cases = [
            (r#"verb == "create" &&"#, 19, "expected a value"),
            (r#"verbs == "x""#, 0, "unknown field `verbs`"),
            (r#"namespace in "prod""#, 19, "`in` needs a list"),
            (r#"(verb == "get""#, 14, "expected `)`"),
            (r#"user == "unterminated"#, 8, "unterminated string"),
            (r#"request(spec) == 1"#, 8, "expected a JSON pointer"),
            (r#"verb == "a" verb"#, 12, "unexpected `verb`"),
        ];
        for (src, offset, msg) in cases {
            let e = Expr::parse(src).unwrap_err();
            assert_eq!(e.offset, offset, "{src}: {e}");
            assert!(e.message.contains(msg), "{src}: {e}");
        }
    }
}
