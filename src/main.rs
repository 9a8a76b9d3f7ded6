fn main() {
    std::process::exit(coe::cli::main());
}
