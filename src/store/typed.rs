//! How a numbered value (a job, a sale, a counter) is written as text and stored: one macro, so
//! each of those types reads and writes its number in exactly one place.

/// Gives a newtype over an integer its text form (`Display`/`FromStr`: the bare number), its JSON
/// form (the number) and its SQL form (an INTEGER).
macro_rules! integer_id {
    ($name:ident, $int:ty) => {
        impl $name {
            pub fn get(self) -> $int {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.trim().parse().map($name)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$int>::deserialize(d).map($name)
            }
        }

        impl crate::store::sql::ToSql for $name {
            fn to_sql(&self) -> crate::store::sql::Result<crate::store::sql::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl crate::store::sql::FromSql for $name {
            fn column_result(
                value: crate::store::sql::ValueRef<'_>,
            ) -> crate::store::sql::FromSqlResult<Self> {
                <$int>::column_result(value).map($name)
            }
        }
    };
}

pub(crate) use integer_id;
