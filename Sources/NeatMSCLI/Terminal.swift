import Foundation

/// Signal handling of the `neatms` process as a whole.
enum Terminal {
    /// Unblocks SIGINT, SIGTERM and SIGHUP in the calling (main) thread, so that their default action
    /// (ending the process) applies whatever mask was inherited. Ignored signals stay ignored (`nohup`).
    static func unblockTerminationSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
