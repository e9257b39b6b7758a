"""One HTTP request over a unix socket, timed from its first byte sent to the reply's end (the benches send
"Connection: close", so the reply ends with the stream, as a client of a stream that ends reads it)."""
import socket
import time


def timed_request(path, request):
    """Milliseconds from sending `request` (bytes) on a new connection to `path` until the reply's last byte."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    t = time.perf_counter()
    s.sendall(request)
    while s.recv(65536):
        pass
    s.close()
    return (time.perf_counter() - t) * 1000
