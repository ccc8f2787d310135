import Glibc
import CSyLinux

/// The framing of `sy --mux-server`: one remote-shell session carries the two stages a sync runs
/// on a host, each with its own input and output, so a host costs one connection and one
/// remote shell start-up (as rsync's single ssh does).
///
/// Both directions are frames: type (1 byte), channel (1 byte), payload length (u32 LE),
/// payload. Flow control is by credit, as ssh's own channels: a side sends DATA on a channel
/// only while the other has granted room (WINDOW), so neither side's reader ever blocks on one
/// channel while the other waits behind it, and memory stays at one window per channel.
enum MuxFrame: UInt8 {
    /// Server to client, first: the greeting (`Mux.greeting`).
    case hello = 0x48
    /// Bytes for a channel's stage input (client to server) or from its output (server to client).
    case data = 0x01
    /// No more data on the channel.
    case eof = 0x02
    /// Payload u32 LE: the receiver has room for this many more bytes of the channel's data.
    case window = 0x03
    /// Server to client, payload i32 LE: the channel's stage exited with this code (after its EOF).
    case exit = 0x04
}

enum Mux {
    static let greeting = Array("sy-mux 1\n".utf8)
    /// Room granted at the start, per channel and direction.
    static let window = 1 << 20
    /// The largest DATA payload.
    static let maxData = 64 << 10
    /// Stage data moves from pipe to pipe by splice(2) where both ends are pipes;
    /// `SY_NO_SPLICE=1` copies it through sy instead (the way for other descriptors; tests
    /// and measurements use it to run that way everywhere).
    static let splices = getenv("SY_NO_SPLICE") == nil
}

/// Writes whole frames to an fd; safe from several threads.
final class FrameWriter: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLockLite()
    private var broken = false
    private var closed = false

    init(fd: Int32) { self.fd = fd }

    /// Sends one frame; false once the fd is broken (the other side is gone).
    @discardableResult
    func send(_ type: MuxFrame, _ channel: UInt8, _ payload: UnsafeRawPointer? = nil, _ count: Int = 0) -> Bool {
        sendFrame(type, channel, count) {
            payload == nil || count == 0 || (try? Sys.writeAll(fd, payload!, count)) != nil
        }
    }

    /// Writes a frame's header, then `payload` writes its `count` bytes; under the lock, so
    /// frames never interleave. False (and broken from then on) if either fails.
    private func sendFrame(_ type: MuxFrame, _ channel: UInt8, _ count: Int, payload: () -> Bool) -> Bool {
        let header: [UInt8] = [type.rawValue, channel, UInt8(truncatingIfNeeded: count), UInt8(truncatingIfNeeded: count >> 8),
                               UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 24)]
        return lock.withLock {
            if broken { return false }
            let ok = header.withUnsafeBytes { (try? Sys.writeAll(fd, $0.baseAddress!, 6)) != nil } && payload()
            if !ok { broken = true }
            return ok
        }
    }

    /// Sends a DATA frame whose `count` payload bytes are moved from the pipe `source` into
    /// this fd (a pipe too) by splice(2), without passing through this process. The bytes must
    /// be waiting in `source` already. False once the fd is broken.
    func sendSpliced(_ channel: UInt8, from source: Int32, _ count: Int) -> Bool {
        sendFrame(.data, channel, count) {
            var moved = 0
            while moved < count {
                let r = sy_splice_pipes(source, fd, UInt(count - moved), 0)
                if r > 0 { moved += r } else if !(r < 0 && errno == EINTR) { return false }
            }
            return true
        }
    }

    func send(_ type: MuxFrame, _ channel: UInt8, u32 value: UInt32) -> Bool {
        var v = value.littleEndian
        return withUnsafeBytes(of: &v) { send(type, channel, $0.baseAddress!, 4) }
    }

    /// Closes the fd; later sends do nothing (so a late grant never writes to a reused fd).
    func close() {
        lock.withLock {
            if fd >= 0 && !closed { Glibc.close(fd) }
            closed = true; broken = true
        }
    }

    func sendGreeting() -> Bool {
        Mux.greeting.withUnsafeBytes { b in
            lock.withLock { (try? Sys.writeAll(fd, b.baseAddress!, b.count)) != nil }
        }
    }
}

/// A u32 payload (WINDOW, EXIT), little-endian; nil if it is not 4 bytes.
func muxU32(_ p: UnsafeRawPointer, _ count: Int) -> UInt32? {
    guard count == 4 else { return nil }
    return UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))
}

/// Reads frames from an fd (one thread).
struct FrameReader {
    let fd: Int32

    /// Reads exactly `n` bytes; false at end of input or on an error.
    func readFull(_ p: UnsafeMutableRawPointer, _ n: Int) -> Bool {
        var got = 0
        while got < n {
            guard let r = try? Sys.read(fd, p + got, n - got), r > 0 else { return false }
            got += r
        }
        return true
    }

    /// The next frame's header (its payload still waiting in the fd), or nil at the end of
    /// input (or a malformed header).
    func header() -> (type: MuxFrame, channel: UInt8, count: Int)? {
        var h: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        guard withUnsafeMutableBytes(of: &h, { readFull($0.baseAddress!, 6) }), let type = MuxFrame(rawValue: h.0) else { return nil }
        let n = Int(h.2) | Int(h.3) << 8 | Int(h.4) << 16 | Int(h.5) << 24
        guard n <= Mux.maxData else { return nil }
        return (type, h.1, n)
    }

    /// Waits for the greeting: nil when it came, else what came instead (empty: the input ended).
    func expectGreeting() -> [UInt8]? {
        var g = [UInt8](repeating: 0, count: Mux.greeting.count)
        var got = 0
        while got < g.count {
            let r = g.withUnsafeMutableBytes { b in (try? Sys.read(fd, b.baseAddress! + got, b.count - got)) ?? 0 }
            if r <= 0 { break }
            got += r
        }
        return got == g.count && g == Mux.greeting ? nil : Array(g[0..<got])
    }
}

/// Send credit for one channel: what the other side has room for.
final class Credit: @unchecked Sendable {
    private var m = pthread_mutex_t()
    private var c = pthread_cond_t()
    private var available: Int
    private var closed = false

    init(_ initial: Int) {
        available = initial
        pthread_mutex_init(&m, nil); pthread_cond_init(&c, nil)
    }
    deinit { pthread_cond_destroy(&c); pthread_mutex_destroy(&m) }

    /// Up to `max` bytes of credit, waiting for some; 0 once closed.
    func take(_ max: Int) -> Int {
        pthread_mutex_lock(&m); defer { pthread_mutex_unlock(&m) }
        while available == 0 && !closed { pthread_cond_wait(&c, &m) }
        if closed { return 0 }
        let n = min(max, available)
        available -= n
        return n
    }

    func give(_ n: Int) {
        pthread_mutex_lock(&m); available += n; pthread_cond_broadcast(&c); pthread_mutex_unlock(&m)
    }

    func close() {
        pthread_mutex_lock(&m); closed = true; pthread_cond_broadcast(&c); pthread_mutex_unlock(&m)
    }
}

/// Data that arrived for one channel, for its fd: written at once when nothing is queued and
/// the pipe has room (no copy, no thread hand-off), else queued for a writer thread of its own.
/// What is written is granted back to the sender, a quarter window at a time. Holds at most the
/// window granted. A broken fd (its reader is gone) drops the rest but still grants, so the
/// sender never stalls.
final class ChannelSink: @unchecked Sendable {
    private var m = pthread_mutex_t()
    private var c = pthread_cond_t()
    private var chunks: [[UInt8]] = []
    private var ended = false
    private var finished = false
    private var broken = false
    /// The writer thread is writing a chunk it took off the queue.
    private var writing = false
    private var ungranted = 0
    private var fd: Int32 = -1
    private var granted: (@Sendable (Int) -> Void)?

    init() { pthread_mutex_init(&m, nil); pthread_cond_init(&c, nil) }
    deinit { pthread_cond_destroy(&c); pthread_mutex_destroy(&m) }

    /// Counts `n` bytes written (or dropped); returns what to grant now. Under the lock.
    private func account(_ n: Int) -> Int {
        ungranted += n
        guard ungranted >= Mux.window / 4 else { return 0 }
        defer { ungranted = 0 }
        return ungranted
    }

    /// Bytes that arrived for the channel.
    func deliver(_ p: UnsafeRawPointer, _ n: Int) {
        var done = 0, grant = 0
        pthread_mutex_lock(&m)
        if chunks.isEmpty && !writing && fd >= 0 {
            if broken { done = n }
            while done < n {
                let r = Glibc.write(fd, p + done, n - done)
                if r > 0 { done += r; continue }
                if r < 0 && errno == EINTR { continue }
                if r < 0 && errno == EAGAIN { break }
                broken = true; done = n
            }
            grant = account(done)
        }
        if done < n {
            chunks.append(Array(UnsafeRawBufferPointer(start: p + done, count: n - done)))
            pthread_cond_signal(&c)
        }
        pthread_mutex_unlock(&m)
        if grant > 0 { granted?(grant) }
    }

    /// `n` bytes for the channel waiting in the pipe `source`: spliced straight into the
    /// channel's pipe as far as it has room, the rest read into `scratch` and delivered. False
    /// if the source ended first.
    func deliverSpliced(from source: Int32, _ n: Int, scratch: UnsafeMutableRawPointer, reader: FrameReader) -> Bool {
        var done = 0, grant = 0
        pthread_mutex_lock(&m)
        if chunks.isEmpty && !writing && fd >= 0 && !broken {
            while done < n {
                let r = sy_splice_pipes(source, fd, UInt(n - done), 1)
                if r > 0 { done += r; continue }
                if r < 0 && errno == EINTR { continue }
                if r < 0 && errno == EPIPE { broken = true }
                break // no room, not all of it here yet, or the end: the rest goes the plain way
            }
            grant = account(done)
        }
        pthread_mutex_unlock(&m)
        if grant > 0 { granted?(grant) }
        guard done < n else { return true }
        guard reader.readFull(scratch, n - done) else { return false }
        deliver(scratch, n - done)
        return true
    }

    func end() {
        pthread_mutex_lock(&m); ended = true; pthread_cond_signal(&c); pthread_mutex_unlock(&m)
    }

    /// Starts writing to `fd` (closed at the end); `granted` sends room back. With `direct`
    /// (a pipe of sy's own), the fd is made non-blocking and data is written at once when it
    /// fits; otherwise (a descriptor shared with others, such as sy's standard output, whose
    /// flags must not change) everything goes through the writer thread.
    func start(fd: Int32, direct: Bool, granted: @escaping @Sendable (Int) -> Void) {
        if direct { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        pthread_mutex_lock(&m); self.fd = direct ? fd : -1; self.granted = granted; pthread_mutex_unlock(&m)
        Thread.detach { [self] in
            while true {
                pthread_mutex_lock(&m)
                while chunks.isEmpty && !ended { pthread_cond_wait(&c, &m) }
                if chunks.isEmpty { pthread_mutex_unlock(&m); break }
                let chunk = chunks.removeFirst()
                writing = true
                var ok = !broken
                pthread_mutex_unlock(&m)
                if ok { ok = chunk.withUnsafeBytes { ChannelSink.writeWaiting(fd, $0.baseAddress!, $0.count) } }
                pthread_mutex_lock(&m)
                writing = false
                if !ok { broken = true }
                let grant = account(chunk.count)
                pthread_mutex_unlock(&m)
                if grant > 0 { granted(grant) }
            }
            pthread_mutex_lock(&m); self.fd = -1; pthread_mutex_unlock(&m)
            Glibc.close(fd)
            pthread_mutex_lock(&m); finished = true; pthread_cond_broadcast(&c); pthread_mutex_unlock(&m)
        }
    }

    /// Writes all of it to a non-blocking fd, waiting for room; false if the fd is broken.
    static func writeWaiting(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Bool {
        var done = 0
        while done < n {
            let r = Glibc.write(fd, p + done, n - done)
            if r > 0 { done += r; continue }
            if r < 0 && errno == EINTR { continue }
            if r < 0 && errno == EAGAIN {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, -1)
                continue
            }
            return false
        }
        return true
    }

    /// Waits until the writer has written everything and closed its fd.
    func waitFinished() {
        pthread_mutex_lock(&m)
        while !finished { pthread_cond_wait(&c, &m) }
        pthread_mutex_unlock(&m)
    }
}

/// Reads frames from `fd` until it ends, a frame is malformed or names an unknown channel, or
/// `onExit` (given a channel and its exit code) returns true: DATA goes to the channel's sink,
/// EOF ends it, WINDOW adds to its credit. Then every sink is ended and every credit closed.
func demuxFrames(fd: Int32, sinks: [ChannelSink], credits: [Credit], onExit: (Int, Int32) -> Bool = { _, _ in false }) {
    let reader = FrameReader(fd: fd)
    let buf = UnsafeMutableRawPointer.allocate(byteCount: Mux.maxData, alignment: 16)
    defer { buf.deallocate() }
    // From a pipe, DATA payloads are spliced into the channels' pipes, not copied through here.
    let splicing = Mux.splices && isPipe(fd)
    loop: while let f = reader.header() {
        let k = Int(f.channel)
        guard k < sinks.count else { break }
        if f.type == .data && splicing && f.count > 0 {
            guard sinks[k].deliverSpliced(from: fd, f.count, scratch: buf, reader: reader) else { break }
            continue
        }
        guard f.count == 0 || reader.readFull(buf, f.count) else { break }
        switch f.type {
        case .data: sinks[k].deliver(buf, f.count)
        case .eof: sinks[k].end()
        case .window:
            if let n = muxU32(buf, f.count) { credits[k].give(Int(n)) }
        case .exit:
            if let v = muxU32(buf, f.count), onExit(k, Int32(bitPattern: v)) { break loop }
        case .hello: break
        }
    }
    for s in sinks { s.end() }
    for c in credits { c.close() }
}

/// Reads a stage's data from `fd` and sends it as DATA frames within the channel's credit,
/// then EOF; closes `fd`. Returns when done.
func pumpChannel(fd: Int32, channel: UInt8, credit: Credit, writer: FrameWriter) {
    if Mux.splices && isPipe(fd) && isPipe(writer.fd) {
        spliceChannel(fd: fd, channel: channel, credit: credit, writer: writer)
        return
    }
    let buf = UnsafeMutableRawPointer.allocate(byteCount: Mux.maxData, alignment: 16)
    defer { buf.deallocate(); Glibc.close(fd) }
    while true {
        let room = credit.take(Mux.maxData)
        if room == 0 { return } // the connection is gone
        guard let n = try? Sys.read(fd, buf, room), n > 0 else { break }
        if n < room { credit.give(room - n) }
        if !writer.send(.data, channel, buf, n) { return }
    }
    writer.send(.eof, channel)
}

/// `pumpChannel` between two pipes: waits for data, frames as much as is waiting (within
/// the credit) and splices it across, so the bytes never enter this process.
private func spliceChannel(fd: Int32, channel: UInt8, credit: Credit, writer: FrameWriter) {
    defer { Glibc.close(fd) }
    while true {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&pfd, 1, -1) < 0 {
            if errno == EINTR { continue }
            break
        }
        let waiting = Int(sy_pipe_available(fd))
        if waiting < 0 { break }
        if waiting == 0 {
            // Woken with nothing waiting: the writer closed its end (a wake-up with POLLIN
            // and no data is a race that passed: wait again).
            if pfd.revents & Int16(POLLIN) != 0 { continue }
            break
        }
        let room = credit.take(min(waiting, Mux.maxData))
        if room == 0 { return } // the connection is gone
        if !writer.sendSpliced(channel, from: fd, room) { return }
    }
    writer.send(.eof, channel)
}

/// Whether `fd` is a pipe (splice needs one on a side).
func isPipe(_ fd: Int32) -> Bool {
    var st = stat()
    return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO
}

/// A one-shot gate: `wait()` returns once `open()` has been called.
final class Latch: @unchecked Sendable {
    private var m = pthread_mutex_t()
    private var c = pthread_cond_t()
    private var isOpen = false

    init() { pthread_mutex_init(&m, nil); pthread_cond_init(&c, nil) }
    deinit { pthread_cond_destroy(&c); pthread_mutex_destroy(&m) }

    func open() { pthread_mutex_lock(&m); isOpen = true; pthread_cond_broadcast(&c); pthread_mutex_unlock(&m) }

    func wait() {
        pthread_mutex_lock(&m)
        while !isOpen { pthread_cond_wait(&c, &m) }
        pthread_mutex_unlock(&m)
    }
}
