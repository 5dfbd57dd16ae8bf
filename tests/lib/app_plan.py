#!/usr/bin/env python3
"""app_plan.py - images with a changed load plan (abi/app_plan.h), for the
runtime suite (tests/runtime/run-tests).

  app_plan.py patch IMAGE OUT SEG FIELD VALUE
      OUT is IMAGE with one field of segment SEG of its plan set to VALUE
      (FIELD: start end direct_off direct_first direct_pages file_va
      file_len file_off prot);
  app_plan.py unplan LINKED RUNTIME_DIR WORK OUT
      OUT is the image LINKED (the packer's unik-image.elf, with symbols)
      linked again without a plan: its program and files taken out of
      .unik_payload, linked with RUNTIME_DIR's objects as an image from a
      packer that made no plan (the runtime then reads the ELF headers).
"""
import os
import struct
import subprocess
import sys

MAGIC = struct.pack('<QI', 0x6e616c706b696e75, 1)
HEAD, SEG = 56, 64
# struct app_plan_seg: name -> (offset, struct format)
FIELDS = {'start': (0, '<Q'), 'end': (8, '<Q'), 'direct_off': (16, '<Q'),
          'direct_first': (24, '<I'), 'direct_pages': (28, '<I'), 'file_va': (32, '<Q'),
          'file_len': (40, '<Q'), 'file_off': (48, '<Q'), 'prot': (56, '<Q')}


def patch(image, out, seg, field, value):
    data = bytearray(open(image, 'rb').read())
    # the plan is 8-aligned in .rodata; the magic also appears unaligned in
    # the runtime's code (an immediate)
    at = [i for i in range(0, len(data) - len(MAGIC), 8) if data[i:i + len(MAGIC)] == MAGIC]
    if len(at) != 1:
        sys.exit('app_plan.py: %d plans in %s' % (len(at), image))
    off, fmt = FIELDS[field]
    struct.pack_into(fmt, data, at[0] + HEAD + SEG * int(seg) + off, int(value, 0))
    open(out, 'wb').write(data)


def unplan(linked, runtime_dir, work, out):
    syms = {}
    for line in subprocess.run(['nm', linked], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    if 'unik_app_plan' not in syms:
        sys.exit('app_plan.py: %s has no plan' % linked)
    payload = os.path.join(work, 'payload.bin')
    subprocess.run(['objcopy', '-O', 'binary', '--only-section=.unik_payload', linked, payload],
                   check=True)
    blob = open(payload, 'rb').read()
    base = syms['unik_app_elf']
    parts = {'app.bin': ('unik_app_elf', 'unik_app_elf_end'),
             'files.bin': ('unik_files', 'unik_files_end')}
    for name, (start, end) in parts.items():
        with open(os.path.join(work, name), 'wb') as f:
            f.write(blob[syms[start] - base:syms[end] - base])
    # the image's system-call table (and volume hooks) as the packer wrote
    # them: from its payload assembler beside the linked image
    with open(os.path.join(os.path.dirname(linked), 'unik-payload.S')) as f:
        packed = f.read()
    start = packed.find('\t.section .rodata.unik_syscall_table')
    end = packed.rfind('\t.section .note.GNU-stack')
    if start < 0 or end < start:
        sys.exit('app_plan.py: no system-call table in the packer\'s assembler')
    table = packed[start:end]
    asm = os.path.join(work, 'noplan.S')
    with open(asm, 'w') as f:
        f.write('\t.section .unik_payload, "a"\n\t.balign 4096\n'
                '\t.globl unik_app_elf, unik_app_elf_end, unik_files, unik_files_end\n'
                'unik_app_elf:\n\t.incbin "%s/app.bin"\nunik_app_elf_end:\n\t.balign 16\n'
                'unik_files:\n\t.incbin "%s/files.bin"\nunik_files_end:\n'
                '\t.section .rodata\n\t.globl unik_app_name\nunik_app_name:\n\t.asciz "app"\n'
                # without a plan the packer links the runtime's ELF reader
                '\t.text\n\t.globl unik_plan_from_elf\n\t.type unik_plan_from_elf, @function\n'
                'unik_plan_from_elf:\tjmp elf_plan_from_file\n'
                '%s\t.section .note.GNU-stack, "", @progbits\n' % (work, work, table))
    obj = os.path.join(work, 'noplan.o')
    subprocess.run(['as', '-o', obj, asm], check=True)
    subprocess.run(['ld', '-nostdlib', '-static', '-z', 'max-page-size=4096', '--build-id=none',
                    '--gc-sections', '-T', os.path.join(runtime_dir, 'unik-runtime.ld'), '-o', out,
                    os.path.join(runtime_dir, 'unik-runtime.o'), obj,
                    os.path.join(runtime_dir, 'unik-unix.o'),
                    os.path.join(runtime_dir, 'unik-net.o')], check=True)


if __name__ == '__main__':
    if len(sys.argv) == 7 and sys.argv[1] == 'patch':
        patch(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == 'unplan':
        unplan(*sys.argv[2:])
    else:
        sys.exit(__doc__)
