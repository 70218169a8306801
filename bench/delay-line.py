#!/usr/bin/env python3
"""A TCP delay line for benchmarks on a kernel without the netem qdisc.

    delay-line.py LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS

Accepts connections on LISTEN and relays each to TARGET. Bytes from TARGET back to the client are
held DELAY_MS after they arrive before they are sent on, in order, as `tc qdisc add dev <the
server's interface> root netem delay DELAY_MS` would hold the server's packets; bytes towards
TARGET pass at once. Prints "ready" when it listens.
"""
import queue
import socket
import sys
import threading
import time


def parse(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def close_writing(sock):
    """Passes the end of one direction on (the other may still carry bytes)."""
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def pump(src, dst, delay):
    """Copies src to dst; with a delay, each chunk leaves `delay` seconds after it came in."""
    if delay <= 0:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            close_writing(dst)
        return
    held = queue.Queue()

    def send_on():
        try:
            while True:
                due, data = held.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            close_writing(dst)

    sender = threading.Thread(target=send_on, daemon=True)
    sender.start()
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            held.put((time.monotonic() + delay, data))
    except OSError:
        pass
    held.put((0, None))
    sender.join()


def serve(client, target, delay):
    try:
        upstream = socket.create_connection(target)
    except OSError:
        client.close()
        return
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    there = threading.Thread(target=pump, args=(client, upstream, 0), daemon=True)
    there.start()
    pump(upstream, client, delay)
    there.join()
    client.close()
    upstream.close()


def main():
    listen, target, delay_ms = parse(sys.argv[1]), parse(sys.argv[2]), float(sys.argv[3])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(listen)
    server.listen(64)
    print("ready", flush=True)
    while True:
        client, _ = server.accept()
        threading.Thread(target=serve, args=(client, target, delay_ms / 1000), daemon=True).start()


if __name__ == "__main__":
    main()
