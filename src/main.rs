// coe allocates many small strings and nodes and frees them in bulk;
// mimalloc does that with about a third of the system allocator's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(coe::cli::main());
}
