#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: mkcorpus.py [CORPUSDIR]
#
# Writes the seed inputs of the fuzz targets into CORPUSDIR/TARGET/
# (default: corpus/ beside this script), one small file per seed, named
# for what it exercises.  Each seed follows the input layout its target
# reads (the comments at the top of each TARGET.c say what it checks);
# libFuzzer grows the corpus from these.  Re-run after changing a layout.
#
# Copyright (C) 2026 The libfuse-bpf authors
import os
import struct
import sys

BIT63 = 1 << 63

# linux/fuse.h
LOOKUP, FORGET, GETATTR, MKNOD, MKDIR, SYMLINK, LINK = 1, 2, 3, 8, 9, 6, 13
OPEN, WRITE, CREATE, INIT, READDIRPLUS, TMPFILE = 14, 16, 35, 26, 44, 51
BATCH_FORGET = 42
INIT_EXT, INIT2_PASSTHROUGH = 1 << 30, 1 << 5
HANDLE_KILLPRIV, HANDLE_KILLPRIV_V2 = 1 << 19, 1 << 28
WRITEBACK_CACHE = 1 << 16
WRITE_KILL_SUIDGID, OPEN_KILL_SUIDGID = 1 << 2, 1 << 0


def u8(v): return struct.pack('<B', v)
def u16(v): return struct.pack('<H', v)
def u32(v): return struct.pack('<I', v & 0xffffffff)
def u64(v): return struct.pack('<Q', v)


def in_header(length, opcode, unique, nodeid):
    return struct.pack('<IIQQIIIHH', length, opcode, unique, nodeid,
                       0, 0, 1, 0, 0)


def out_header(length, error, unique):
    return struct.pack('<IiQ', length, error, unique)


def entry_out(nodeid, mode=0o100644):
    attr = struct.pack('<QQQQQQIIIIIIIIII', nodeid, 0, 0, 0, 0, 0,
                       0, 0, 0, mode, 1, 0, 0, 0, 4096, 0)
    return struct.pack('<QQQQII', nodeid, 0, 1, 1, 0, 0) + attr


def direntplus(nodeid, name, off):
    d = entry_out(nodeid) + struct.pack('<QQII', nodeid, off, len(name), 8)
    d += name
    return d + b'\0' * ((8 - len(d) % 8) % 8)


def open_out(fh, flags):
    return struct.pack('<QII', fh, flags, 0)


def blocks():
    s = {}

    def blk(t, k, typ=None, fd=None, res=None):
        b = u8(t) + u8(k)
        if t & 0x80:
            b += u32(typ)
        if k & 0x80:
            b += u32(fd)
        if t & 0x40:
            b += u32(res)
        return b
    tail = u64(7) + u8(207) + bytes(range(128)) + u8(0) + u16(0o644) + u32(160)
    s['none'] = u8(0) + tail
    s['backing-reg'] = u8(1) + blk(1, 0) + tail
    s['backing-dir'] = u8(1) + blk(1, 1) + u64(9) + u8(207) + bytes(128) + u8(1) + u16(0o755) + u32(16383)
    s['remove-and-bpf'] = u8(2) + blk(3, 0) + blk(2, 0) + tail
    s['two-backing'] = u8(2) + blk(1, 0) + blk(3, 2) + tail
    s['three'] = u8(3) + blk(1, 0) + blk(2, 0) + blk(4, 0) + tail
    s['reserved'] = u8(1) + blk(0x41, 0, res=1) + tail
    s['unknown-type'] = u8(1) + blk(0x80, 0x80, typ=0x1234, fd=0xffffffff) + tail
    s['closed-fd'] = u8(1) + blk(1, 3) + tail
    s['null-blocks'] = u8(0x81) + blk(1, 0) + tail
    s['short-buffer'] = u8(2) + blk(1, 0) + blk(2, 0) + u64(3) + u8(150) + bytes(128) + u8(0) + u16(0) + u32(16384)
    return s


def reply_filter():
    s = {}

    def rec(sel, kind, layout, payload, backing=3, cuts=(), error=None, unique=11):
        b = u8(sel) + u8(kind | (0x80 if error is not None else 0)) + u8(layout)
        b += u32(backing)
        if error is not None:
            b += u32(error)
        b += u64(unique) + u16(len(payload)) + payload
        for c in cuts:
            b += u16(c)
        return b
    clean = entry_out(5)
    bad = entry_out(5 | BIT63)
    s['lookup-clean'] = rec(0, 1, 1, clean)
    s['lookup-lib-id'] = rec(0, 1, 1, bad)
    s['mkdir-lib-id-one-iov'] = rec(2, 1, 0, bad)
    s['lookup-error'] = rec(0, 1, 1, bad, error=-2)
    s['lookup-nothing-pending'] = rec(0, 0x41, 1, bad)
    listing = direntplus(7, b'a', 1) + direntplus(8, b'longer_name', 2)
    s['readdirplus-clean'] = rec(6, 1, 1, listing)
    s['readdirplus-lib-id'] = rec(6, 1, 1, listing + direntplus(9 | BIT63, b'bad', 3))
    s['readdirplus-lib-id-first'] = rec(6, 1, 1, direntplus(9 | BIT63, b'bad', 1) + listing)
    s['readdirplus-gathered'] = rec(6, 1, 3, listing, cuts=(10, 200))
    s['open-passthrough'] = rec(7, 2, 1, open_out(99, 1 | 2))
    s['create-passthrough'] = rec(5, 3, 0, clean + open_out(4, 4))
    s['open-passthrough-gathered'] = rec(7, 2, 2, open_out(99, 1), cuts=(5,))
    s['open-passthrough-head'] = rec(7, 2, 0x81, open_out(99, 1), cuts=(8,))
    s['open-short'] = rec(7, 2, 1, b'\0' * 8)
    return s


def request():
    s = {}

    def msg(m, buf_len=None):
        return u16(len(m)) + u16(buf_len if buf_len is not None else len(m) + 64) + m
    init = struct.pack('<IIII', 7, 38, 65536, INIT_EXT | HANDLE_KILLPRIV_V2) + u32(INIT2_PASSTHROUGH) + bytes(44)
    s['init'] = u8(0) + msg(in_header(40 + len(init), INIT, 2, 0) + init)
    s['init-forced-kernel'] = u8(1) + msg(in_header(40 + len(init), INIT, 2, 0) + init)
    s['init-short'] = u8(0x02) + msg(in_header(44, INIT, 2, 0) + u32(7))
    create_in = struct.pack('<IIII', 0o100, 0o644, 0o22, OPEN_KILL_SUIDGID)
    s['tmpfile-served'] = u8(0x0c) + msg(in_header(40 + 16 + 2, TMPFILE, 4, 1) + create_in + b'\0\0')
    s['tmpfile-other'] = u8(0x0c) + msg(in_header(40 + 16 + 2, TMPFILE, 4, 2) + create_in + b'\0\0')
    write_in = struct.pack('<QQIIQII', 1, 0, 4, WRITE_KILL_SUIDGID, 0, 0, 0)
    s['write-kill'] = u8(0) + msg(in_header(40 + 40 + 4, WRITE, 6, 3) + write_in + b'data')
    s['open-kill'] = u8(0) + msg(in_header(48, OPEN, 8, 3) + struct.pack('<II', 2, OPEN_KILL_SUIDGID))
    s['create-kill'] = u8(0) + msg(in_header(58, CREATE, 10, 1) + create_in + b'a\0')
    s['short-and-truncated'] = u8(0) + msg(b'\x01' * 20) + msg(in_header(40, LOOKUP, 12, 1), 30) + msg(b'', 0)
    s['unknown-opcode'] = u8(0) + msg(in_header(40, 4000, 14, 1))
    return s


def init():
    s = {}

    def rec(ctl, ctl2, body, out, cut=0, error=None):
        b = u8(ctl) + u8(ctl2 | (0x80 if error is not None else 0)) + u8(len(body)) + u64(2) + body
        b += u8(len(out))
        if error is not None:
            b += u8(error)
        b += out
        if out:
            b += u8(cut)
        return b

    def init_in(flags, flags2=0):
        return struct.pack('<IIIII', 7, 38, 65536, flags, flags2) + bytes(44)

    def init_out(flags, flags2=0):
        return struct.pack('<IIIIHHIIHHI', 7, 36, 65536, flags, 12, 9, 131072, 1, 32, 0, flags2) + bytes(28)
    priv = 0x40 | 0x08
    s['auto-passthrough'] = rec(priv, 0, init_in(INIT_EXT, INIT2_PASSTHROUGH), init_out(WRITEBACK_CACHE))
    s['forced-passthrough-unoffered'] = rec(priv | 2, 0, init_in(0), init_out(0))
    s['forced-passthrough-unprivileged'] = rec(2, 0, init_in(INIT_EXT, INIT2_PASSTHROUGH), init_out(0))
    s['forced-kernel'] = rec(1, 0, init_in(0), init_out(0))
    s['kernel-conn'] = rec(1 | 4, 1, init_in(HANDLE_KILLPRIV_V2), init_out(HANDLE_KILLPRIV))
    s['killpriv-v2'] = rec(3, 2, init_in(HANDLE_KILLPRIV_V2), init_out(HANDLE_KILLPRIV))
    s['killpriv-v2-daemon-writes'] = rec(3 | 16, 2, init_in(HANDLE_KILLPRIV_V2), init_out(HANDLE_KILLPRIV))
    s['two-iovecs'] = rec(priv, 1 << 2, init_in(INIT_EXT | HANDLE_KILLPRIV_V2, INIT2_PASSTHROUGH), init_out(0))
    s['three-iovecs'] = rec(priv, 2 << 2, init_in(INIT_EXT, INIT2_PASSTHROUGH), init_out(0), cut=40)
    s['short-reply'] = rec(priv, 0, init_in(INIT_EXT, INIT2_PASSTHROUGH), b'\0' * 24)
    s['error-reply'] = rec(priv, 0, init_in(INIT_EXT, INIT2_PASSTHROUGH), init_out(0), error=5)
    s['short-init'] = rec(2, 0, b'\7\0\0\0', b'')
    s['flags2-cut'] = rec(priv, 0, init_in(INIT_EXT, INIT2_PASSTHROUGH)[:18], init_out(0))
    return s


# dispatch.c's table of opcodes, in order.
DISPATCH_OPS = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
                20, 21, 22, 23, 24, 25, 27, 28, 29, 30, 31, 32, 33, 34, 35,
                37, 42, 43, 44, 45, 46, 47, 51, 40]


def dispatch():
    s = {}

    def req(op, nsel, body):
        return u8(DISPATCH_OPS.index(op)) + u8(nsel) + u16(len(body)) + body
    head = u8(1) + u32(0)
    s['lookups'] = head + req(LOOKUP, 0, b'a\0') + req(LOOKUP, 0, b'b!\0') + req(FORGET, 1, u64(1))
    s['lookup-blocks'] = head + req(LOOKUP, 0, b'r\0') + req(LOOKUP, 0, b'x\x02\0') + req(LOOKUP, 0, b'm\0') + req(LOOKUP, 0, b'r!\0')
    s['create-nodes'] = head + req(MKDIR, 0, struct.pack('<II', 0o755, 0o22) + b'd!\0') + req(MKNOD, 0, struct.pack('<IIII', 0o100644, 0, 0o22, 0) + b'n\0') + req(SYMLINK, 0, b's!\0target\0') + req(LINK, 1, u64(2) + b'l!\0')
    s['create-open'] = head + req(CREATE, 0, struct.pack('<IIII', 0o100002, 0o644, 0o22, 0) + b'c!\0') + req(OPEN, 1, struct.pack('<II', 2, 0))
    s['readdirplus'] = head + req(READDIRPLUS, 0, struct.pack('<QQIIQII', 0, 4, 4096, 0, 0, 0, 0)) + req(READDIRPLUS, 0, struct.pack('<QQIIQII', 0, 0x8000000000000003, 4096, 0, 0, 0, 0)) + req(READDIRPLUS, 0, struct.pack('<QQIIQII', 0, 0x8000000000000001, 4096, 0, 0, 0, 0))
    s['batch-forget'] = head + req(BATCH_FORGET, 0, struct.pack('<II', 2, 0) + u64(2) + u64(1) + u64(3) + u64(1))
    s['passthrough-init'] = u8(0xc0) + u32(INIT_EXT) + req(LOOKUP, 0, b'a\0') + req(OPEN, 1, struct.pack('<II', 2, 0))
    s['tmpfile'] = head + req(TMPFILE, 0, struct.pack('<IIII', 0o100002, 0o644, 0o22, 0) + b'\0')
    return s


def stats():
    s = {}

    def rec(o, total, lib):
        w = (1 if total > 255 else 0) | (2 if lib > 255 else (4 if lib else 0))
        b = u8(o) + u8(w) + (u64(total) if w & 1 else u8(total))
        if w & 2:
            b += u64(lib)
        elif w & 4:
            b += u8(lib)
        return b
    s['empty'] = u8(3)
    s['counts'] = u8(2) + rec(1, 13, 10) + rec(26, 1, 0) + rec(15, 4, 4) + rec(63, 2, 0)
    s['library-above-total'] = u8(3) + rec(3, 1, 9)
    s['huge'] = u8(1) + rec(44, (1 << 64) - 1, (1 << 64) - 2) + rec(52, 1 << 40, 0)
    s['invalid-mode'] = u8(0x80) + u32(0xffffffff) + rec(0, 5, 0)
    return s


def options():
    s = {}

    def args(*a):
        return b'\0'.join(a)
    s['split'] = args(b'-o', b'fsname=src\\,x,ro,debug,noexec', b'-f', b'-oallow_other,subtype=pt,max_read=65536,max_threads=4', b'-o', b'dev,default_permissions', b'mnt')
    s['max-read-escaped-comma'] = args(b'-o', b'max_read=4096\\,user_id=1234')
    s['max-read-bad'] = args(b'-omax_read=abc')
    s['max-read-octal'] = args(b'-omax_read=010,max_read=4294967295')
    s['max-read-range'] = args(b'-omax_read=4294967296')
    s['blksize'] = args(b'-o', b'blksize=4096')
    s['empty-names'] = args(b'-ofsname=')
    s['empty-subtype'] = args(b'-osubtype=')
    s['long-fsname'] = args(b'-o', b'fsname=' + b'f' * 4100)
    s['refused'] = args(b'-oauto_unmount')
    s['dashdash'] = args(b'--', b'-ofsname=x')
    s['mode-names'] = b'passthrough'
    s['mode-auto'] = b'auto'
    s['timeouts'] = struct.pack('<dd', 1.5, -0.0) + b'\0-ofsname=x'
    s['timeouts-nan'] = struct.pack('<dd', float('nan'), 1.0)
    return s


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
    for name, gen in (('blocks', blocks), ('reply_filter', reply_filter),
                      ('request', request), ('init', init),
                      ('dispatch', dispatch), ('stats', stats),
                      ('options', options)):
        d = os.path.join(top, name)
        os.makedirs(d, exist_ok=True)
        for seed, data in sorted(gen().items()):
            with open(os.path.join(d, seed), 'wb') as f:
                f.write(data)


if __name__ == '__main__':
    main()
