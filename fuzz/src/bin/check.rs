fn main() {
    afl::fuzz!(|data: &[u8]| coe_fuzz::check(data));
}
