//! Constructor keyword arguments to client settings. The options themselves (names, kinds,
//! defaults) are the Rust client's table, `rustlog::options`: every constructor takes
//! `**options` and this module only turns Python values into `OptionValue`s, so no class here
//! lists an option. `_native.OPTIONS` hands the table to `rustlog/__init__.py`, which shows the
//! options and their defaults in `inspect.signature` and `help()`.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString};
use rustlog::options::{self, Kind, OptionValue, Scope};
use rustlog::{ErrorCode, Settings};

use crate::errors::{client_error, py_error};

/// `bootstrap` of every constructor: the Rust client's default broker address.
pub(crate) const DEFAULT_BOOTSTRAP: &str = rustlog::config::DEFAULT_BROKER_ADDR;

/// The settings of one object: `bootstrap` and the `**options` of a constructor named `what`
/// (e.g. `"Producer"`), checked for `scope` (client options are taken by every object). An
/// unknown keyword, a value of the wrong type or out of range raises `InvalidArgument` naming
/// the option, before anything connects.
pub(crate) fn settings(
    py: Python<'_>,
    what: &str,
    scope: Scope,
    bootstrap: &str,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Settings> {
    let settings = apply(py, what, scope, bootstrap, options)?;
    settings.validate(scope).map_err(|e| client_error(py, e))?;
    Ok(settings)
}

/// The options applied over the defaults, not yet checked together.
fn apply(
    py: Python<'_>,
    what: &str,
    scope: Scope,
    bootstrap: &str,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Settings> {
    let mut settings = Settings::new(bootstrap);
    let scopes = [Scope::Client, scope];
    if let Some(options) = options {
        for (key, value) in options.iter() {
            let name = key.str()?.to_cow()?.into_owned();
            let spec = options::lookup(&name, &scopes, what).map_err(|e| client_error(py, e))?;
            settings
                .set(spec, value_of(py, spec, &value)?)
                .map_err(|e| client_error(py, e))?;
        }
    }
    Ok(settings)
}

/// A Python value as an option value; the client checks it against the option's kind.
fn value_of(
    py: Python<'_>,
    spec: &options::OptionSpec,
    value: &Bound<'_, PyAny>,
) -> PyResult<OptionValue> {
    if value.is_none() {
        return Ok(OptionValue::Unset);
    }
    if value.is_instance_of::<PyBool>() {
        return Ok(OptionValue::Bool(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        // Taken wide, so a huge int is an InvalidArgument too, not an OverflowError.
        return match value.extract::<i64>() {
            Ok(n) => Ok(OptionValue::Int(n)),
            Err(_) => Err(py_error(
                py,
                ErrorCode::InvalidArgument,
                format!("{}: {value} is out of range", spec.name),
            )),
        };
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(OptionValue::Text(text.to_cow()?.into_owned()));
    }
    Err(py_error(
        py,
        ErrorCode::InvalidArgument,
        format!(
            "{}: a {} is not {}",
            spec.name,
            value.get_type().name()?,
            kind_text(spec.kind)
        ),
    ))
}

fn kind_text(kind: Kind) -> String {
    match kind {
        Kind::Bool => "a bool".to_string(),
        Kind::Uint => "a non-negative int".to_string(),
        Kind::OptionalInt => "an int or None".to_string(),
        Kind::Text => "a str".to_string(),
        Kind::Choice(names) => format!("one of {}", names.join(", ")),
    }
}

fn py_value<'py>(py: Python<'py>, value: Option<OptionValue>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Some(OptionValue::Bool(b)) => PyBool::new(py, b).to_owned().into_any(),
        Some(OptionValue::Int(n)) => n.into_pyobject(py)?.into_any(),
        Some(OptionValue::Text(t)) => PyString::new(py, &t).into_any(),
        Some(OptionValue::Unset) | None => py.None().into_bound(py),
    })
}

/// `_native.OPTIONS`: the client's option table, one dict per option (`name`, `scope`, `kind`,
/// `choices`, `default`, `doc`), for signatures and `help()`.
pub(crate) fn option_table(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for spec in options::OPTIONS {
        let row = PyDict::new(py);
        row.set_item("name", spec.name)?;
        row.set_item("scope", spec.scope.name())?;
        let (kind, choices): (&str, &[&str]) = match spec.kind {
            Kind::Bool => ("bool", &[]),
            Kind::Uint => ("int", &[]),
            Kind::OptionalInt => ("optional_int", &[]),
            Kind::Text => ("str", &[]),
            Kind::Choice(names) => ("choice", names),
        };
        row.set_item("kind", kind)?;
        row.set_item("choices", choices.to_vec())?;
        row.set_item("default", py_value(py, options::default_of(spec))?)?;
        row.set_item("doc", spec.doc)?;
        list.append(row)?;
    }
    Ok(list)
}

/// The settings of a consumer: `group_id` and `topics` are arguments (both optional for a
/// consumer of assigned partitions), the rest options.
pub(crate) fn consumer_settings(
    py: Python<'_>,
    what: &str,
    bootstrap: &str,
    group_id: Option<String>,
    topics: Option<Vec<String>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<(rustlog::ClientConfig, rustlog::ConsumerConfig)> {
    let mut settings = apply(py, what, Scope::Consumer, bootstrap, options)?;
    // Neither: a consumer of the partitions given to `assign` only.
    settings.consumer.group_id = group_id.unwrap_or_default();
    settings.consumer.topics = topics.unwrap_or_default();
    settings
        .validate(Scope::Consumer)
        .map_err(|e| client_error(py, e))?;
    Ok((settings.client, settings.consumer))
}
