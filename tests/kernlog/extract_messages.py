#!/usr/bin/env python3
"""Collect the message formats the Linux verifier writes into its log.

usage: extract_messages.py KERNEL_SRC_DIR > core/kernlog/messages.ts

Reads kernel/bpf/verifier.c, log.c and liveness.c of a kernel tree (Linux
6.18 for the committed table) and lists the printf formats of every
verbose()/bpf_log()/verifier_bug() call, one line of log text per entry: a
format with newlines inside is split, a format without a final newline is
kept as a piece that continues on the same line ("R%d type=%s expected="),
and verifier_bug() formats get the "verifier bug: " prefix and "(cond)"
suffix its macro adds. Formats with little literal text of their own
(",r%d", "%s, ") are listed apart: they only continue a line. Formats that
are nothing but conversions ("%s") are left out: they would match any text. core/kernlog/messages.ts
turns the table into regular expressions.
"""
import json
import os
import re
import sys

CALL = re.compile(r'\b(verbose|bpf_log|verifier_bug|verifier_bug_if|bpf_verifier_log_write)\s*\(')
CONV = re.compile(r'%[-+ #0]*(\*|\d+)?(\.\d+)?(hh|h|ll|l|z|j|t)?[diouxXcspn%]')


def literals_after(src, i):
    """The concatenated string literals of the first literal argument after position i."""
    depth = 0
    j = i
    while j < len(src):
        c = src[j]
        if c == '"':
            break
        if c == '(':
            depth += 1
        elif c == ')':
            if depth == 0:
                return None
            depth -= 1
        j += 1
    else:
        return None
    s = ''
    k = j
    while True:
        while k < len(src) and src[k] in ' \t\n':
            k += 1
        if k < len(src) and src[k] == '"':
            e = k + 1
            while src[e] != '"':
                if src[e] == '\\':
                    e += 1
                e += 1
            s += src[k + 1:e]
            k = e + 1
        else:
            break
    return bytes(s, 'utf-8').decode('unicode_escape')


def informative(piece):
    """A piece with some literal text of its own (not only conversions and spaces)."""
    rest = CONV.sub('', piece)
    return len(re.sub(r'[\s:;,=()\[\]\'"._-]', '', rest)) >= 2


def literal(piece):
    """A piece with at least one literal character."""
    return CONV.sub('', piece) != ''


def main():
    root = sys.argv[1]
    seen = set()
    out = []
    cont = []
    for name in ('verifier.c', 'log.c', 'liveness.c'):
        path = os.path.join(root, 'kernel', 'bpf', name)
        src = open(path).read()
        for m in CALL.finditer(src):
            fmt = literals_after(src, m.end())
            if fmt is None:
                continue
            if m.group(1).startswith('verifier_bug'):
                fmt = 'verifier bug: ' + fmt + '(%s)\n'
            parts = fmt.split('\n')
            for k, piece in enumerate(parts):
                last = k == len(parts) - 1
                if last and piece == '':
                    continue
                entry = piece if not last else piece + '\x00'  # \0 marks "continues on the line"
                if entry in seen or not literal(piece):
                    continue
                seen.add(entry)
                (out if informative(piece) else cont).append(entry)
    print('/**')
    print(' * The message formats of the Linux 6.18 verifier log (kernel/bpf/verifier.c,')
    print(' * log.c, liveness.c), one line of log text each, collected by')
    print(' * tests/kernlog/extract_messages.py. An entry ending in NUL is a piece')
    print(' * that continues on the same line (several verbose() calls make one line).')
    print(' *')
    print(' * @module')
    print(' */')
    print('')
    print_table('printf formats, as the kernel source spells them.', 'KERNEL_FORMATS', out)
    print('')
    print_table('Formats with too little text to start a line, which only continue one (`,r%d`, `%s, `).',
                'KERNEL_CONTINUATIONS', cont)


def print_table(doc, name, entries):
    print(f'/** {doc} */')
    print(f'export const {name}: readonly string[] = [')
    for e in entries:
        print('  ' + json.dumps(e).replace('\\u0000', '\\0') + ',')
    print('];')

if __name__ == '__main__':
    main()
