//! Python values to client types and back: keys/values (`bytes | str | None`), headers (a dict or
//! a list of pairs, values nullable), records for batch sends, the offset arguments of the admin
//! (`at`, a reset target, a mapping of offsets), and admin results (the protocol's JSON shapes as
//! plain dicts, so the binding never re-describes them).

use bytes::Bytes;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMapping, PyString, PyTuple};
use rustlog::{ErrorCode, OffsetReset, OffsetSpec, Record, TopicPartitionOffset};

use crate::errors::py_error;

/// `bytes`, `bytearray`, `str` (UTF-8) or `None` (a null key or a tombstone value).
pub(crate) fn opt_bytes(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Option<Bytes>> {
    if obj.is_none() {
        return Ok(None);
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Some(Bytes::copy_from_slice(b.as_bytes())));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Some(Bytes::copy_from_slice(s.to_cow()?.as_bytes())));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Some(Bytes::from(b.to_vec())));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be bytes, str or None, not {}",
        obj.get_type().name()?
    )))
}

/// A header value: `bytes`, `bytearray`, `str` or `None` (a null value, which Kafka tells apart
/// from an empty one).
fn header_value(obj: &Bound<'_, PyAny>) -> PyResult<Option<Bytes>> {
    opt_bytes(obj, "a header value")
}

/// Headers from `None`, a `dict[str, bytes | str | None]` or an iterable of
/// `(str, bytes | str | None)` pairs (a list of pairs can repeat a key; order is kept).
pub(crate) fn headers(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, Option<Bytes>)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if let Ok(dict) = obj.cast::<PyDict>() {
        for (k, v) in dict.iter() {
            out.push((k.extract::<String>()?, header_value(&v)?));
        }
        return Ok(out);
    }
    for pair in obj.try_iter()? {
        let pair = pair?;
        let (k, v): (String, Bound<'_, PyAny>) = pair.extract().map_err(|_| {
            PyTypeError::new_err("headers must be a dict or a list of (str, bytes | None) pairs")
        })?;
        out.push((k, header_value(&v)?));
    }
    Ok(out)
}

/// One record of `send`.
pub(crate) fn record(
    topic: &str,
    value: &Bound<'_, PyAny>,
    key: Option<&Bound<'_, PyAny>>,
    headers_obj: Option<&Bound<'_, PyAny>>,
    partition: Option<u32>,
    timestamp_ms: Option<i64>,
) -> PyResult<Record> {
    Ok(Record {
        topic: topic.into(),
        partition,
        key: match key {
            Some(k) => opt_bytes(k, "key")?,
            None => None,
        },
        value: opt_bytes(value, "value")?,
        headers: headers(headers_obj)?,
        timestamp_ms,
    })
}

/// The records of `send_batch`: each item is a value, a `(key, value)` pair or a
/// `(key, value, headers)` triple.
pub(crate) fn batch_records(
    topic: &str,
    items: &Bound<'_, PyAny>,
    partition: Option<u32>,
) -> PyResult<Vec<Record>> {
    let mut out = Vec::with_capacity(items.len().unwrap_or(0));
    for (index, item) in items.try_iter()?.enumerate() {
        let item = item?;
        let record = if let Ok(tuple) = item.cast::<PyTuple>() {
            match tuple.len() {
                2 => record(
                    topic,
                    &tuple.get_item(1)?,
                    Some(&tuple.get_item(0)?),
                    None,
                    partition,
                    None,
                ),
                3 => record(
                    topic,
                    &tuple.get_item(1)?,
                    Some(&tuple.get_item(0)?),
                    Some(&tuple.get_item(2)?),
                    partition,
                    None,
                ),
                n => Err(PyValueError::new_err(format!(
                    "a record tuple has 2 items (key, value) or 3 (key, value, headers), not {n}"
                ))),
            }
        } else {
            record(topic, &item, None, None, partition, None)
        };
        out.push(record.map_err(|e| {
            let py = items.py();
            PyErr::from_type(e.get_type(py), format!("record {index}: {}", e.value(py)))
        })?);
    }
    Ok(out)
}

/// The same exception with `context` in front of its message.
fn in_context(py: Python<'_>, err: PyErr, context: &str) -> PyErr {
    PyErr::from_type(err.get_type(py), format!("{context}: {}", err.value(py)))
}

/// `at` of `Admin.topic_offsets`: `"earliest"` (log start) or `"latest"` (high watermark).
pub(crate) fn offset_spec(py: Python<'_>, at: &str) -> PyResult<OffsetSpec> {
    match at {
        "earliest" => Ok(OffsetSpec::Earliest),
        "latest" => Ok(OffsetSpec::Latest),
        other => Err(py_error(
            py,
            ErrorCode::InvalidArgument,
            format!(
                "at must be \"earliest\" or \"latest\", not {other:?} \
                 (offsets_for_time looks up a timestamp)"
            ),
        )),
    }
}

/// The `offsets` of `Admin.set_group_offsets`: a mapping of `(topic, partition)` to offset, in
/// the mapping's order.
pub(crate) fn topic_partition_offsets(
    offsets: &Bound<'_, PyAny>,
) -> PyResult<Vec<TopicPartitionOffset>> {
    let py = offsets.py();
    let mapping = offsets.cast::<PyMapping>().map_err(|_| {
        let kind = offsets
            .get_type()
            .name()
            .map_or_else(|_| "?".to_string(), |n| n.to_string());
        PyTypeError::new_err(format!(
            "offsets must be a mapping of (topic, partition) to offset, not {kind}"
        ))
    })?;
    let mut out = Vec::with_capacity(mapping.len().unwrap_or(0));
    for item in mapping.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let (topic, partition): (String, u32) = key.extract().map_err(|e| {
            in_context(
                py,
                e,
                &format!("offsets: a key is a (topic, partition) tuple, not {key:?}"),
            )
        })?;
        let offset: u64 = value
            .extract()
            .map_err(|e| in_context(py, e, &format!("offsets[({topic:?}, {partition})]")))?;
        out.push(TopicPartitionOffset {
            topic,
            partition,
            offset,
        });
    }
    Ok(out)
}

/// The target of `Admin.reset_group_offsets`: exactly one of `to` (`"earliest"` or `"latest"`),
/// `to_offset`, `to_timestamp_ms` and `shift_by`.
pub(crate) fn offset_reset(
    py: Python<'_>,
    to: Option<&str>,
    to_offset: Option<u64>,
    to_timestamp_ms: Option<i64>,
    shift_by: Option<i64>,
) -> PyResult<OffsetReset> {
    const NAMES: &str = "to, to_offset, to_timestamp_ms or shift_by";
    let given: Vec<&str> = [
        to.map(|_| "to"),
        to_offset.map(|_| "to_offset"),
        to_timestamp_ms.map(|_| "to_timestamp_ms"),
        shift_by.map(|_| "shift_by"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if given.len() != 1 {
        let got = if given.is_empty() {
            "none".to_string()
        } else {
            given.join(" and ")
        };
        return Err(py_error(
            py,
            ErrorCode::InvalidArgument,
            format!("reset_group_offsets takes exactly one target of {NAMES}; got {got}"),
        ));
    }
    match (to, to_offset, to_timestamp_ms, shift_by) {
        (Some("earliest"), ..) => Ok(OffsetReset::Earliest),
        (Some("latest"), ..) => Ok(OffsetReset::Latest),
        (Some(other), ..) => Err(py_error(
            py,
            ErrorCode::InvalidArgument,
            format!(
                "to must be \"earliest\" or \"latest\", not {other:?} \
                 (to_offset, to_timestamp_ms and shift_by take numbers)"
            ),
        )),
        (_, Some(offset), ..) => Ok(OffsetReset::Offset(offset)),
        (_, _, Some(timestamp_ms), _) => Ok(OffsetReset::Timestamp(timestamp_ms)),
        (_, _, _, Some(delta)) => Ok(OffsetReset::ShiftBy(delta)),
        (None, None, None, None) => Err(py_error(
            py,
            ErrorCode::InvalidArgument,
            format!("reset_group_offsets needs a target: {NAMES}"),
        )),
    }
}

/// `Option<Bytes>` as `bytes | None`.
pub(crate) fn py_opt_bytes<'py>(py: Python<'py>, b: Option<&Bytes>) -> Option<Bound<'py, PyBytes>> {
    b.map(|b| PyBytes::new(py, b))
}

/// Headers as a list of `(str, bytes | None)` tuples, in order, repeated keys kept.
pub(crate) fn py_headers<'py>(
    py: Python<'py>,
    headers: &[(String, Option<Bytes>)],
) -> PyResult<Bound<'py, PyList>> {
    let items = headers
        .iter()
        .map(|(k, v)| (k.as_str(), py_opt_bytes(py, v.as_ref())));
    PyList::new(py, items)
}

/// A serde value (an admin result) as plain Python objects.
pub(crate) fn py_json<'py>(
    py: Python<'py>,
    value: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(py_json(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, py_json(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Any serializable admin result as JSON; needs no GIL, so asyncio futures convert in the task.
pub(crate) fn answer_json<T: serde::Serialize>(value: &T) -> PyResult<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|e| PyValueError::new_err(format!("cannot convert the broker's answer: {e}")))
}

/// Any serializable admin result as Python objects.
pub(crate) fn py_result<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    py_json(py, &answer_json(value)?)
}

/// A bool spelled the Python way, for `__repr__`.
pub(crate) fn py_bool(value: bool) -> &'static str {
    if value {
        "True"
    } else {
        "False"
    }
}
