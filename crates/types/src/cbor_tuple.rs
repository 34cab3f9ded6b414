//! DAG-CBOR tuple encoding for structs with named fields (Filecoin's `tuple` representation:
//! a struct is the array of its fields in order). Used by every crate that defines chain or
//! state objects; the crate using it must depend on `serde`.

/// Implements `serde::Serialize` and `serde::Deserialize` for a struct as the array of the
/// listed fields, in order (at most 16).
///
/// ```
/// use flowcoin_types::cbor_tuple;
///
/// #[derive(Debug, PartialEq)]
/// struct Pair { a: u64, b: String }
/// cbor_tuple!(Pair { a: u64, b: String });
///
/// let bytes = flowcoin_types::message::to_cbor("pair", &Pair { a: 1, b: "x".into() })?;
/// assert_eq!(bytes, [0x82, 0x01, 0x61, b'x']);
/// # Ok::<(), flowcoin_types::message::CborError>(())
/// ```
#[macro_export]
macro_rules! cbor_tuple {
    ($name:ident { $($field:ident : $ty:ty),+ $(,)? }) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&($(&self.$field,)+), serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let ($($field,)+) = <($($ty,)+) as serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self { $($field),+ })
            }
        }
    };
}
