;; The oracles' scans over the cell array, sixteen cells a turn (four SIMD loads), then four at a time:
;; a check of a page against what the file may hold is a scan of 4,096 cells,
;; and a scalar loop over them was most of a run's time (issue 16); and the
;; fills that give new memory its provenance.
;;
;; The cell array is this module's imported memory; every address is a cell
;; index (4 bytes a cell). Each scan returns the first index i in [0, n) of
;; cells[off + i .. off + n) where its predicate fails, or n.
;;
;; Edit this file, then `node scripts/build-wasm.mjs` writes scan-wasm.ts
;; (a test checks that the two agree).
(module
  (import "env" "cells" (memory 1))

  ;; cells[off + i] == base + i (mod 2^32): a run of DATA copied in one piece.
  (func (export "linear") (param $off i32) (param $n i32) (param $base i32) (result i32)
    (local $i i32) (local $addr i32) (local $exp v128) (local $four v128)
    (local.set $addr (i32.shl (local.get $off) (i32.const 2)))
    (local.set $exp (i32x4.add (i32x4.splat (local.get $base)) (v128.const i32x4 0 1 2 3)))
    (local.set $four (i32x4.splat (i32.const 4)))
    ;; Sixteen cells a turn while they all match; the four-cell loop finds where a turn failed.
    (block $quad
      (loop $sixteen
        (br_if $quad (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
        (br_if $quad (i32.eqz (i32x4.all_true (v128.and
          (v128.and
            (i32x4.eq (v128.load align=4 (local.get $addr)) (local.get $exp))
            (i32x4.eq (v128.load offset=16 align=4 (local.get $addr)) (i32x4.add (local.get $exp) (local.get $four))))
          (v128.and
            (i32x4.eq (v128.load offset=32 align=4 (local.get $addr)) (i32x4.add (local.get $exp) (v128.const i32x4 8 8 8 8)))
            (i32x4.eq (v128.load offset=48 align=4 (local.get $addr)) (i32x4.add (local.get $exp) (v128.const i32x4 12 12 12 12))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 64)))
        (local.set $exp (i32x4.add (local.get $exp) (v128.const i32x4 16 16 16 16)))
        (br $sixteen)))
    (block $scalar
      (loop $vec
        (br_if $scalar (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (br_if $scalar (i32.eqz (i32x4.all_true (i32x4.eq (v128.load align=4 (local.get $addr)) (local.get $exp)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 16)))
        (local.set $exp (i32x4.add (local.get $exp) (local.get $four)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $done (i32.ne (i32.load (local.get $addr)) (i32.add (local.get $base) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 4)))
        (br $one)))
    (local.get $i))

  ;; cells[off + i] == value: a run of ZERO, say.
  (func (export "same") (param $off i32) (param $n i32) (param $value i32) (result i32)
    (local $i i32) (local $addr i32) (local $v v128)
    (local.set $addr (i32.shl (local.get $off) (i32.const 2)))
    (local.set $v (i32x4.splat (local.get $value)))
    (block $quad
      (loop $sixteen
        (br_if $quad (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
        (br_if $quad (i32.eqz (i32x4.all_true (v128.and
          (v128.and
            (i32x4.eq (v128.load align=4 (local.get $addr)) (local.get $v))
            (i32x4.eq (v128.load offset=16 align=4 (local.get $addr)) (local.get $v)))
          (v128.and
            (i32x4.eq (v128.load offset=32 align=4 (local.get $addr)) (local.get $v))
            (i32x4.eq (v128.load offset=48 align=4 (local.get $addr)) (local.get $v)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 64)))
        (br $sixteen)))
    (block $scalar
      (loop $vec
        (br_if $scalar (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (br_if $scalar (i32.eqz (i32x4.all_true (i32x4.eq (v128.load align=4 (local.get $addr)) (local.get $v)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $done (i32.ne (i32.load (local.get $addr)) (local.get $value)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 4)))
        (br $one)))
    (local.get $i))

  ;; cells[off + i] >>> 30 != kind: no cell of that provenance kind (UNINIT, say).
  (func (export "notKind") (param $off i32) (param $n i32) (param $kind i32) (result i32)
    (local $i i32) (local $addr i32) (local $k v128)
    (local.set $addr (i32.shl (local.get $off) (i32.const 2)))
    (local.set $k (i32x4.splat (local.get $kind)))
    (block $quad
      (loop $sixteen
        (br_if $quad (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
        (br_if $quad (v128.any_true (v128.or
          (v128.or
            (i32x4.eq (i32x4.shr_u (v128.load align=4 (local.get $addr)) (i32.const 30)) (local.get $k))
            (i32x4.eq (i32x4.shr_u (v128.load offset=16 align=4 (local.get $addr)) (i32.const 30)) (local.get $k)))
          (v128.or
            (i32x4.eq (i32x4.shr_u (v128.load offset=32 align=4 (local.get $addr)) (i32.const 30)) (local.get $k))
            (i32x4.eq (i32x4.shr_u (v128.load offset=48 align=4 (local.get $addr)) (i32.const 30)) (local.get $k))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 64)))
        (br $sixteen)))
    (block $scalar
      (loop $vec
        (br_if $scalar (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (br_if $scalar (v128.any_true (i32x4.eq (i32x4.shr_u (v128.load align=4 (local.get $addr)) (i32.const 30)) (local.get $k))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $done (i32.eq (i32.shr_u (i32.load (local.get $addr)) (i32.const 30)) (local.get $kind)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 4)))
        (br $one)))
    (local.get $i))

  ;; cells[off + i] = value for i in [0, n): a new frame's UNINIT, a new block's STALE.
  (func (export "fill") (param $off i32) (param $n i32) (param $value i32)
    (local $addr i32) (local $end i32) (local $v v128)
    (local.set $addr (i32.shl (local.get $off) (i32.const 2)))
    (local.set $end (i32.add (local.get $addr) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $v (i32x4.splat (local.get $value)))
    (block $quad
      (loop $sixteen
        (br_if $quad (i32.gt_u (i32.add (local.get $addr) (i32.const 64)) (local.get $end)))
        (v128.store align=4 (local.get $addr) (local.get $v))
        (v128.store offset=16 align=4 (local.get $addr) (local.get $v))
        (v128.store offset=32 align=4 (local.get $addr) (local.get $v))
        (v128.store offset=48 align=4 (local.get $addr) (local.get $v))
        (local.set $addr (i32.add (local.get $addr) (i32.const 64)))
        (br $sixteen)))
    (block $scalar
      (loop $vec
        (br_if $scalar (i32.gt_u (i32.add (local.get $addr) (i32.const 16)) (local.get $end)))
        (v128.store align=4 (local.get $addr) (local.get $v))
        (local.set $addr (i32.add (local.get $addr) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $addr) (local.get $end)))
        (i32.store (local.get $addr) (local.get $value))
        (local.set $addr (i32.add (local.get $addr) (i32.const 4)))
        (br $one))))

  ;; cells[off + i] = base + i for i in [0, n): a user buffer's DATA.
  (func (export "ramp") (param $off i32) (param $n i32) (param $base i32)
    (local $addr i32) (local $end i32) (local $v v128) (local $four v128)
    (local.set $addr (i32.shl (local.get $off) (i32.const 2)))
    (local.set $end (i32.add (local.get $addr) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $v (i32x4.add (i32x4.splat (local.get $base)) (v128.const i32x4 0 1 2 3)))
    (local.set $four (i32x4.splat (i32.const 4)))
    (block $quad
      (loop $sixteen
        (br_if $quad (i32.gt_u (i32.add (local.get $addr) (i32.const 64)) (local.get $end)))
        (v128.store align=4 (local.get $addr) (local.get $v))
        (v128.store offset=16 align=4 (local.get $addr) (i32x4.add (local.get $v) (local.get $four)))
        (v128.store offset=32 align=4 (local.get $addr) (i32x4.add (local.get $v) (v128.const i32x4 8 8 8 8)))
        (v128.store offset=48 align=4 (local.get $addr) (i32x4.add (local.get $v) (v128.const i32x4 12 12 12 12)))
        (local.set $v (i32x4.add (local.get $v) (v128.const i32x4 16 16 16 16)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 64)))
        (br $sixteen)))
    (block $scalar
      (loop $vec
        (br_if $scalar (i32.gt_u (i32.add (local.get $addr) (i32.const 16)) (local.get $end)))
        (v128.store align=4 (local.get $addr) (local.get $v))
        (local.set $v (i32x4.add (local.get $v) (local.get $four)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $addr) (local.get $end)))
        (i32.store (local.get $addr) (i32x4.extract_lane 0 (local.get $v)))
        (local.set $v (i32x4.add (local.get $v) (v128.const i32x4 1 1 1 1)))
        (local.set $addr (i32.add (local.get $addr) (i32.const 4)))
        (br $one))))
)
