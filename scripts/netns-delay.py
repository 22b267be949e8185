#!/usr/bin/env python3
"""Delays and drops packets of an nfqueue: netem's `delay` and `loss` in user space.

For kernels built without sch_netem: the netns testbed's hub namespace sends the packets
between nodes to NFQUEUE (iptables FORWARD, bridged through br_netfilter), and this holds each
one for the delay before accepting it, dropping a random share instead. Python's standard
library only (AF_NETLINK speaks nfnetlink_queue directly).

usage: netns-delay.py <queue number> <delay ms> <loss percent>
Prints "ready" on stdout once bound; runs until killed.
"""
import heapq
import os
import random
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST = 1
NLMSG_ERROR = 2
NF_DROP = 0
NF_ACCEPT = 1
QUEUE_MAXLEN = 65536


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack('=HH', length, kind) + payload + b'\0' * ((4 - length % 4) % 4)


def message(kind, queue, attrs, seq=0):
    body = struct.pack('=BBH', socket.AF_UNSPEC, 0, socket.htons(queue)) + b''.join(attrs)
    return struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, NLM_F_REQUEST, seq, 0) + body


def packet_ids(data):
    """The packet IDs of the NFQNL_MSG_PACKET messages in one netlink read."""
    offset = 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from('=IH', data, offset)
        if length < 16:
            break
        if kind == NLMSG_ERROR:
            error = struct.unpack_from('=i', data, offset + 16)[0]
            if error != 0:
                raise OSError(-error, os.strerror(-error))
        elif kind & 0xff == NFQNL_MSG_PACKET:
            at = offset + 20
            end = offset + length
            while at + 4 <= end:
                attr_length, attr_kind = struct.unpack_from('=HH', data, at)
                if attr_length < 4:
                    break
                if attr_kind & 0x7fff == NFQA_PACKET_HDR:
                    yield struct.unpack_from('!I', data, at + 4)[0]
                at += (attr_length + 3) & ~3
        offset += (length + 3) & ~3


def main():
    queue, delay_ms, loss_percent = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
    sock.bind((0, 0))
    sock.send(message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_CMD, struct.pack('!BBH', NFQNL_CFG_CMD_BIND, 0, 0))]))
    sock.send(message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_PARAMS, struct.pack('!IB', 0, NFQNL_COPY_META) + b'\0\0\0')]))
    sock.send(message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack('!I', QUEUE_MAXLEN))]))
    print('ready', flush=True)
    delay = delay_ms / 1000
    loss = loss_percent / 100
    held = []  # (release time, packet id)
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
        readable, _, _ = select.select([sock], [], [], timeout)
        now = time.monotonic()
        if readable:
            data = sock.recv(1 << 16)
            for packet in packet_ids(data):
                if random.random() < loss:
                    sock.send(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack('!II', NF_DROP, packet))]))
                else:
                    heapq.heappush(held, (now + delay, packet))
        while held and held[0][0] <= now:
            _, packet = heapq.heappop(held)
            sock.send(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, packet))]))


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
