// coe allocates many small strings and nodes and frees them in bulk;
// mimalloc does that with about a third of the system allocator's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    // Part of the mimalloc library the allocator above links in.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (libmimalloc-sys
/// 0.1.49, pinned in Cargo.toml for this number).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() {
    // A command runs for seconds at most: memory it frees is better kept
    // for its next allocations than given back to the kernel, which zeroes
    // it again on the next touch (half of a large check's time, measured).
    // The language server runs for hours and keeps mimalloc's default.
    if std::env::args_os().nth(1).is_none_or(|verb| verb != "lsp") {
        // SAFETY: sets an option before any thread exists; mimalloc reads
        // it at each purge.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
    std::process::exit(coe::cli::main());
}
