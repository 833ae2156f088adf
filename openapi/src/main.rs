//! Prints Tocsin's OpenAPI document (the worker serves the same at `GET /api/openapi.json`).

fn main() {
    println!("{}", tocsin_openapi::document_json());
}
