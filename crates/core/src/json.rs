//! The one way splitee writes JSON: every number finite. serde_json writes NaN and infinities
//! as `null`, which no reader takes back as a number, so a file holding one cannot be read
//! again. [`to_string`] and [`to_string_pretty`] walk the value first and refuse a non-finite
//! number, naming its field, before anything is written.

use serde::ser::{self, Serialize};
use std::fmt::Display;

/// A value that cannot be written as JSON.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JsonError {
    /// A NaN or an infinity, at `field` (`totals.reward`, `learner.sums[3]`, ...).
    #[error("{field} is {value}: JSON holds only finite numbers")]
    NonFinite { field: String, value: f64 },
    #[error("{0}")]
    Serialize(String),
}

impl ser::Error for JsonError {
    fn custom<T: Display>(message: T) -> Self {
        JsonError::Serialize(message.to_string())
    }
}

/// `value` as compact JSON, refused if it holds a non-finite number.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, JsonError> {
    check_finite(value)?;
    serde_json::to_string(value).map_err(|e| JsonError::Serialize(e.to_string()))
}

/// `value` as indented JSON, refused if it holds a non-finite number.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, JsonError> {
    check_finite(value)?;
    serde_json::to_string_pretty(value).map_err(|e| JsonError::Serialize(e.to_string()))
}

/// Refuses `value` if any number in it is NaN or infinite, naming the first one's field.
pub fn check_finite<T: Serialize + ?Sized>(value: &T) -> Result<(), JsonError> {
    value.serialize(&mut FiniteCheck::default())
}

/// A serializer that writes nothing: it only follows the path to every number.
#[derive(Default)]
struct FiniteCheck {
    path: Vec<String>,
    /// The key of the map entry whose value comes next.
    key: Option<String>,
}

impl FiniteCheck {
    fn field(&self) -> String {
        let mut field = String::new();
        for part in &self.path {
            if !part.starts_with('[') && !field.is_empty() {
                field.push('.');
            }
            field.push_str(part);
        }
        if field.is_empty() {
            "the value".into()
        } else {
            field
        }
    }

    fn number(&self, value: f64) -> Result<(), JsonError> {
        if value.is_finite() {
            Ok(())
        } else {
            Err(JsonError::NonFinite {
                field: self.field(),
                value,
            })
        }
    }

    fn within<T: Serialize + ?Sized>(&mut self, part: String, value: &T) -> Result<(), JsonError> {
        self.path.push(part);
        let checked = value.serialize(&mut *self);
        self.path.pop();
        checked
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        // The index of the element: how many came before, kept as the path's last part.
        let index = match self.path.last().and_then(|p| p.strip_prefix("#")) {
            Some(n) => n.parse::<usize>().unwrap_or(0),
            None => 0,
        };
        self.path.pop();
        let checked = self.within(format!("[{index}]"), value);
        self.path.push(format!("#{}", index + 1));
        checked
    }

    fn open_sequence(&mut self) -> &mut Self {
        self.path.push("#0".into());
        self
    }

    fn close_sequence(&mut self) {
        self.path.pop();
    }
}

type Done = Result<(), JsonError>;

impl ser::Serializer for &mut FiniteCheck {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_f32(self, v: f32) -> Done {
        self.number(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Done {
        self.number(v)
    }
    fn serialize_bool(self, _: bool) -> Done {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Done {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Done {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Done {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Done {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Done {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Done {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Done {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Done {
        Ok(())
    }
    fn serialize_i128(self, _: i128) -> Done {
        Ok(())
    }
    fn serialize_u128(self, _: u128) -> Done {
        Ok(())
    }
    fn serialize_char(self, _: char) -> Done {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Done {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Done {
        Ok(())
    }
    fn serialize_none(self) -> Done {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Done {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Done {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Done {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Done {
        self.within(variant.into(), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, JsonError> {
        Ok(self.open_sequence())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, JsonError> {
        Ok(self.open_sequence())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, JsonError> {
        Ok(self.open_sequence())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, JsonError> {
        self.path.push(variant.into());
        Ok(self.open_sequence())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, JsonError> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, JsonError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, JsonError> {
        self.path.push(variant.into());
        Ok(self)
    }
}

/// The sequences: each element checked under its index.
macro_rules! sequence {
    ($($kind:ident: $element:ident),+) => {$(
        impl ser::$kind for &mut FiniteCheck {
            type Ok = ();
            type Error = JsonError;
            fn $element<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
                self.element(value)
            }
            fn end(self) -> Done {
                self.close_sequence();
                Ok(())
            }
        }
    )+};
}

sequence!(
    SerializeSeq: serialize_element,
    SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field
);

impl ser::SerializeTupleVariant for &mut FiniteCheck {
    type Ok = ();
    type Error = JsonError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
        self.element(value)
    }
    fn end(self) -> Done {
        self.close_sequence();
        self.path.pop();
        Ok(())
    }
}

impl ser::SerializeMap for &mut FiniteCheck {
    type Ok = ();
    type Error = JsonError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Done {
        let key = serde_json::to_value(key).map_err(|e| JsonError::Serialize(e.to_string()))?;
        self.key = Some(match key {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Done {
        let key = self.key.take().unwrap_or_default();
        self.within(key, value)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeStruct for &mut FiniteCheck {
    type Ok = ();
    type Error = JsonError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Done {
        self.within(key.into(), value)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut FiniteCheck {
    type Ok = ();
    type Error = JsonError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Done {
        self.within(key.into(), value)
    }
    fn end(self) -> Done {
        self.path.pop();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct Totals {
        reward: f64,
        sums: Vec<f64>,
        per_arm: BTreeMap<String, (u64, f32)>,
        best: Option<f64>,
        seed: u128,
    }

    fn totals() -> Totals {
        Totals {
            reward: 1.5,
            sums: vec![0.0, -2.0],
            per_arm: BTreeMap::from([("a".to_owned(), (3, 0.5))]),
            best: None,
            seed: u128::MAX,
        }
    }

    #[test]
    fn finite_values_are_written_as_serde_json_writes_them() {
        let t = totals();
        assert_eq!(to_string(&t).unwrap(), serde_json::to_string(&t).unwrap());
        assert_eq!(
            to_string_pretty(&t).unwrap(),
            serde_json::to_string_pretty(&t).unwrap()
        );
    }

    #[test]
    fn a_non_finite_number_is_refused_naming_its_field() {
        let refused = |edit: &dyn Fn(&mut Totals)| {
            let mut t = totals();
            edit(&mut t);
            to_string(&t).unwrap_err().to_string()
        };
        assert_eq!(
            refused(&|t| t.reward = f64::INFINITY),
            "reward is inf: JSON holds only finite numbers"
        );
        assert_eq!(
            refused(&|t| t.sums[1] = f64::NAN),
            "sums[1] is NaN: JSON holds only finite numbers"
        );
        assert_eq!(
            refused(&|t| {
                t.per_arm.insert("b".into(), (1, f32::NEG_INFINITY));
            }),
            "per_arm.b[1] is -inf: JSON holds only finite numbers"
        );
        assert_eq!(
            refused(&|t| t.best = Some(f64::NAN)),
            "best is NaN: JSON holds only finite numbers"
        );
        assert!(check_finite(&vec![vec![1.0, 2.0], vec![f64::NAN]]).is_err());
    }
}
