/**
 * TCP for connections the wrapped command opens, terminated in Java: a clock-free state machine
 * per connection ({@link dev.nstun.stack.tcp.TcpConnection}) that the stack's loop drives.
 *
 * <p>The loop's part, per connection: on a SYN with no connection for its 4-tuple, check
 * {@link dev.nstun.stack.tcp.TcpConnection#isConnectionRequest}, then
 * {@link dev.nstun.stack.tcp.TcpConnection#fromSyn} with an ISN from
 * {@link dev.nstun.stack.tcp.IsnGenerator}; dial the upstream; then {@code accept} or {@code refuse}.
 * Feed every later segment of the 4-tuple to {@code process}; call {@code dispatch} into a
 * {@link dev.nstun.stack.tcp.SegmentSink} whenever {@code pollAt} is due (it is due at once after
 * {@code process} and after application calls); move bytes with {@code read}/{@code write}, or
 * between a socket and the buffers with no copy in between with {@code readTo}/{@code writeFrom}; half-close
 * with {@code shutdownOutput}, watch {@code inputShutdown}; forget the connection once
 * {@code isClosed} (with {@code dispose}, which gives its buffers back to the shared
 * {@link dev.nstun.stack.tcp.BufferMemory}), and answer segments for no connection with {@code resetFor}. A SYN that closes
 * a connection in TIME-WAIT ({@code isClosed} right after {@code process}) opens a new one.
 *
 * <p>Inside: {@link dev.nstun.stack.tcp.TcpReceiver} and {@link dev.nstun.stack.tcp.TcpSender} are
 * the two halves; {@link dev.nstun.stack.tcp.ByteRing} their bounded buffers, in native memory;
 * {@link dev.nstun.stack.tcp.OutOfOrderRanges} and {@link dev.nstun.stack.tcp.SackScoreboard} the
 * SACK bookkeeping of each side; {@link dev.nstun.stack.tcp.RttEstimator} the RTO;
 * {@link dev.nstun.stack.tcp.CongestionControl} with {@link dev.nstun.stack.tcp.Cubic} (default) and
 * {@link dev.nstun.stack.tcp.NewReno} the congestion window.
 */
package dev.nstun.stack.tcp;
