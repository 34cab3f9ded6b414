//! DAG-CBOR tuple encoding for structs with named fields (Filecoin's `tuple` representation:
//! a struct is the array of its fields in order).

/// Implements `Serialize` and `Deserialize` for a struct as the array of the listed fields.
macro_rules! cbor_tuple {
    ($name:ident { $($field:ident : $ty:ty),+ $(,)? }) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                ($(&self.$field,)+).serialize(serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let ($($field,)+) = <($($ty,)+)>::deserialize(deserializer)?;
                Ok(Self { $($field),+ })
            }
        }
    };
}

pub(crate) use cbor_tuple;
