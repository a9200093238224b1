/** BENCH ONLY: who starts the bench's email threads (EMAIL_ALLOWED_SENDERS in bench/wrangler.toml allows its domain). */
export const BENCH_SENDER = "ann@example.com";
