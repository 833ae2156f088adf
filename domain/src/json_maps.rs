//! Decoding JSON with less code in a download (the app's). serde's derived decoders for a
//! struct come in two forms: from a JSON object (`visit_map`) and from an array of its fields in
//! order (`visit_seq`), and serde_json builds both for every struct it can meet, although
//! Tocsin's answers only ever hold objects. Decoding through [`Maps`], which asks for every
//! struct as a map (at any depth: the maps, sequences, options and enums it hands out are wrapped
//! too), leaves the array form unused, so the linker drops it for every type decoded this way.
//! Every decode in the app goes through [`from_str`] or [`from_value`]; one that did not would
//! build a second copy of its types' decoders. A struct sent as an array is refused.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};

/// `serde_json::from_str`, with structs decoded from objects only.
pub fn from_str<T: DeserializeOwned>(s: &str) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_str(s);
    let value = T::deserialize(Maps(&mut de))?;
    de.end()?;
    Ok(value)
}

/// `serde_json::from_value`, the same way.
pub fn from_value<T: DeserializeOwned>(v: serde_json::Value) -> serde_json::Result<T> {
    T::deserialize(Maps(v))
}

/// A deserializer that reads structs (and struct variants) as maps.
pub struct Maps<D>(D);

/// A visitor, seed or access handed out by [`Maps`], wrapped so that what it decodes next goes
/// through [`Maps`] too.
struct W<X>(X);

macro_rules! forward {
    ($($name:ident)*) => {
        $(fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
            self.0.$name(W(v))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Maps<D> {
    type Error = D::Error;

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
        deserialize_char deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map deserialize_identifier
        deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, W(v))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, W(v))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, W(v))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, name: &'static str, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, W(v))
    }

    /// The point of it all: a struct is read as a map, never as an array.
    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(W(v))
    }

    fn deserialize_enum<V: Visitor<'de>>(self, name: &'static str, variants: &'static [&'static str], v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, W(v))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! visit {
    ($($name:ident: $t:ty)*) => {
        $(fn $name<E: de::Error>(self, x: $t) -> Result<V::Value, E> {
            self.0.$name(x)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for W<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.0.expecting(f)
    }

    visit! {
        visit_bool: bool visit_i8: i8 visit_i16: i16 visit_i32: i32 visit_i64: i64 visit_i128: i128
        visit_u8: u8 visit_u16: u16 visit_u32: u32 visit_u64: u64 visit_u128: u128
        visit_f32: f32 visit_f64: f64 visit_char: char visit_str: &str visit_borrowed_str: &'de str
        visit_string: String visit_bytes: &[u8] visit_borrowed_bytes: &'de [u8] visit_byte_buf: Vec<u8>
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Maps(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Maps(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(W(a))
    }

    fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(W(a))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(W(a))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for W<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Maps(d))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for W<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(W(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for W<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(W(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(W(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for W<A> {
    type Error = A::Error;
    type Variant = W<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, W<A::Variant>), A::Error> {
        let (value, variant) = self.0.variant_seed(W(seed))?;
        Ok((value, W(variant)))
    }
}

/// A struct variant's fields, read as a map.
struct StructVariant<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for StructVariant<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_map(W(self.0))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for W<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(W(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, W(v))
    }

    /// In JSON a struct variant is `{"Variant": {…}}`: its value is read like a newtype's.
    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], v: V) -> Result<V::Value, A::Error> {
        self.0.newtype_variant_seed(StructVariant(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{IncidentDetail, TimelineEntry};
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(u8, String),
        Struct { a: Option<i64>, b: Vec<Inner> },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Inner {
        #[serde(default)]
        x: Option<String>,
        #[serde(flatten)]
        rest: std::collections::BTreeMap<String, serde_json::Value>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Tagged {
        One { n: u32 },
        Two,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Outer {
        shapes: Vec<Shape>,
        tagged: Vec<Tagged>,
        pair: (u8, bool),
        wrapped: Wrapped,
        #[serde(default)]
        missing: Vec<u8>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Wrapped(String);

    #[derive(Debug, PartialEq, Deserialize)]
    struct Plain {
        a: u8,
    }

    const DOC: &str = r#"{"shapes": ["unit", {"newtype": 7}, {"tuple": [1, "x"]}, {"struct": {"a": null, "b": [{"x": "é\n", "y": [1]}, {}]}}],
        "tagged": [{"type": "one", "n": 3}, {"type": "two"}], "pair": [9, true], "wrapped": "w", "unknown": {"deep": [1, 2]}}"#;

    #[test]
    fn decodes_what_serde_json_decodes() {
        let direct: Outer = serde_json::from_str(DOC).unwrap();
        assert_eq!(from_str::<Outer>(DOC).unwrap(), direct);
        assert_eq!(from_value::<Outer>(serde_json::from_str(DOC).unwrap()).unwrap(), direct);
        assert_eq!(direct.shapes[3], Shape::Struct { a: None, b: vec![
            Inner { x: Some("é\n".into()), rest: [("y".to_string(), serde_json::json!([1]))].into() },
            Inner { x: None, rest: Default::default() },
        ] });
    }

    #[test]
    fn a_real_answer_round_trips() {
        let d = IncidentDetail {
            incident: serde_json::from_value(serde_json::json!({"id": "i1", "number": 4, "title": "Disk full", "status": "acknowledged",
                "severity": "SEV2", "service": {"id": "s1", "name": "API"}, "created_at": "2026-12-03T10:00:00Z",
                "acknowledged_at": "2026-12-03T10:02:00Z", "acknowledged_by": {"type": "user", "id": "u1", "name": "Ann"},
                "updated_at": "2026-12-03T10:05:00Z"})).unwrap(),
            alerts: vec![],
            timeline: vec![serde_json::from_value::<TimelineEntry>(serde_json::json!({"id": "t1", "seq": 1, "kind": "note", "message": "**hi**",
                "actor": {"type": "user", "id": "u1", "name": "Ann"}, "at": "2026-12-03T10:01:00Z"})).unwrap()],
            recent_changes: vec![], responders: vec![], roles: vec![], links: vec![], services: vec![], highlights: vec![1], checklist: vec![], updates: vec![],
        };
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(from_str::<IncidentDetail>(&text).unwrap(), d);
    }

    #[test]
    fn refuses_what_serde_json_refuses_and_structs_as_arrays() {
        assert!(from_str::<Outer>(r#"{"shapes": []}"#).is_err(), "missing fields");
        assert!(from_str::<Outer>(&format!("{DOC} x")).is_err(), "trailing characters");
        // serde_json takes a struct's fields as an array too; these decoders never do.
        assert_eq!(serde_json::from_str::<Vec<Plain>>("[[1]]").unwrap(), vec![Plain { a: 1 }]);
        assert!(from_str::<Vec<Plain>>("[[1]]").is_err(), "a struct as an array");
        assert_eq!(from_str::<Vec<Plain>>(r#"[{"a": 1}]"#).unwrap(), vec![Plain { a: 1 }]);
        let e = from_str::<Shape>(r#"{"struct": {"a": "nope", "b": []}}"#).unwrap_err().to_string();
        assert!(e.contains("invalid type: string \"nope\", expected i64"), "{e}");
    }
}
