/** Plain, line-oriented diagnostics on stderr; safe for cron logs. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Only printed with `--verbose`. */
  debug(message: string): void;
}

export interface LoggerOptions {
  verbose: boolean;
  write: (line: string) => void;
  /** Prefix each line with an ISO timestamp (for non-terminal output). */
  timestamps: boolean;
  now?: () => number;
}

export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? Date.now;
  const emit = (level: string, message: string) => {
    const stamp = options.timestamps ? `${new Date(now()).toISOString()} ` : "";
    const tag = level === "info" ? "" : `${level}: `;
    options.write(`${stamp}${tag}${message}\n`);
  };
  return {
    info: (m) => emit("info", m),
    warn: (m) => emit("warning", m),
    error: (m) => emit("error", m),
    debug: (m) => {
      if (options.verbose) emit("debug", m);
    },
  };
}
