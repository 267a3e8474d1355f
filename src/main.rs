//! The `huiju` binary: everything lives in the library; see `huiju::cli`.

fn main() -> std::process::ExitCode {
    huiju::cli::main()
}
