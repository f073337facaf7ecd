/**
 * The WebAssembly SIMD dot-product kernel of the `wasm` engine: i16 rows,
 * i32x4.dot_i16x8_s (pmaddwd) over a 2-reference × 4-query register tile.
 * `DOT_WASM` is `DOT_WAT` assembled by wabt; a test checks they agree, and
 * `npx tsx bench/build-wasm.ts` rewrites the base64 after an edit.
 */
export const DOT_WAT = `
(module
  (memory (export "memory") 1)
  ;; u8 -> i16: $n bytes (a multiple of 16) from $src to $dst.
  (func (export "widen") (param $src i32) (param $n i32) (param $dst i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $src) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $v (v128.load (local.get $src)))
        (v128.store (local.get $dst) (i16x8.extend_low_i8x16_u (local.get $v)))
        (v128.store offset=16 (local.get $dst) (i16x8.extend_high_i8x16_u (local.get $v)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next))))
  (func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
  (func $put (param $out i32) (param $nq i32) (param $nr i32) (param $j i32) (param $i i32) (param $v v128)
    (if (i32.and (i32.lt_u (local.get $j) (local.get $nr)) (i32.lt_u (local.get $i) (local.get $nq)))
      (then (i32.store
        (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $nq)) (local.get $i)) (i32.const 2)))
        (call $hsum (local.get $v))))))
  ;; out[j*nq + i] = dot(ref j, query i) for j < nr, i < nq. Queries and references
  ;; are i16 rows of $d values ($d a multiple of 8); rows past nq (to a multiple
  ;; of 4) and past nr (to a multiple of 2) must be readable and are ignored.
  ;; Queries are taken $qblock (a multiple of 4) at a time so they stay in cache
  ;; while every reference pair passes over them.
  (func (export "dots") (param $q i32) (param $nq i32) (param $r i32) (param $nr i32) (param $d i32) (param $out i32) (param $qblock i32)
    (local $row i32) (local $ib i32) (local $ie i32) (local $j i32) (local $i i32) (local $t i32)
    (local $r0 i32) (local $r1 i32) (local $qa i32) (local $qb i32) (local $qc i32) (local $qd i32)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128)
    (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local.set $row (i32.shl (local.get $d) (i32.const 1)))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $ib) (local.get $nq)))
        (local.set $ie (select (local.get $nq) (i32.add (local.get $ib) (local.get $qblock))
          (i32.lt_u (local.get $nq) (i32.add (local.get $ib) (local.get $qblock)))))
        (local.set $j (i32.const 0))
        (block $refsDone
          (loop $refs
            (br_if $refsDone (i32.ge_u (local.get $j) (local.get $nr)))
            (local.set $r0 (i32.add (local.get $r) (i32.mul (local.get $j) (local.get $row))))
            (local.set $r1 (i32.add (local.get $r0) (local.get $row)))
            (local.set $i (local.get $ib))
            (block $queriesDone
              (loop $queries
                (br_if $queriesDone (i32.ge_u (local.get $i) (local.get $ie)))
                (local.set $qa (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $row))))
                (local.set $qb (i32.add (local.get $qa) (local.get $row)))
                (local.set $qc (i32.add (local.get $qb) (local.get $row)))
                (local.set $qd (i32.add (local.get $qc) (local.get $row)))
                (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
                (local.set $c02 (v128.const i64x2 0 0)) (local.set $c03 (v128.const i64x2 0 0))
                (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
                (local.set $c12 (v128.const i64x2 0 0)) (local.set $c13 (v128.const i64x2 0 0))
                (local.set $t (i32.const 0))
                (loop $inner
                  (local.set $x0 (v128.load (i32.add (local.get $r0) (local.get $t))))
                  (local.set $x1 (v128.load (i32.add (local.get $r1) (local.get $t))))
                  (local.set $y (v128.load (i32.add (local.get $qa) (local.get $t))))
                  (local.set $c00 (i32x4.add (local.get $c00) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y))))
                  (local.set $c10 (i32x4.add (local.get $c10) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y))))
                  (local.set $y (v128.load (i32.add (local.get $qb) (local.get $t))))
                  (local.set $c01 (i32x4.add (local.get $c01) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y))))
                  (local.set $c11 (i32x4.add (local.get $c11) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y))))
                  (local.set $y (v128.load (i32.add (local.get $qc) (local.get $t))))
                  (local.set $c02 (i32x4.add (local.get $c02) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y))))
                  (local.set $c12 (i32x4.add (local.get $c12) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y))))
                  (local.set $y (v128.load (i32.add (local.get $qd) (local.get $t))))
                  (local.set $c03 (i32x4.add (local.get $c03) (i32x4.dot_i16x8_s (local.get $x0) (local.get $y))))
                  (local.set $c13 (i32x4.add (local.get $c13) (i32x4.dot_i16x8_s (local.get $x1) (local.get $y))))
                  (local.set $t (i32.add (local.get $t) (i32.const 16)))
                  (br_if $inner (i32.lt_u (local.get $t) (local.get $row))))
                (call $put (local.get $out) (local.get $nq) (local.get $nr) (local.get $j) (local.get $i) (local.get $c00))
                (call $put (local.get $out) (local.get $nq) (local.get $nr) (local.get $j) (i32.add (local.get $i) (i32.const 1)) (local.get $c01))
                (call $put (local.get $out) (local.get $nq) (local.get $nr) (local.get $j) (i32.add (local.get $i) (i32.const 2)) (local.get $c02))
                (call $put (local.get $out) (local.get $nq) (local.get $nr) (local.get $j) (i32.add (local.get $i) (i32.const 3)) (local.get $c03))
                (call $put (local.get $out) (local.get $nq) (local.get $nr) (i32.add (local.get $j) (i32.const 1)) (local.get $i) (local.get $c10))
                (call $put (local.get $out) (local.get $nq) (local.get $nr) (i32.add (local.get $j) (i32.const 1)) (i32.add (local.get $i) (i32.const 1)) (local.get $c11))
                (call $put (local.get $out) (local.get $nq) (local.get $nr) (i32.add (local.get $j) (i32.const 1)) (i32.add (local.get $i) (i32.const 2)) (local.get $c12))
                (call $put (local.get $out) (local.get $nq) (local.get $nr) (i32.add (local.get $j) (i32.const 1)) (i32.add (local.get $i) (i32.const 3)) (local.get $c13))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $queries)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $refs)))
        (local.set $ib (local.get $ie))
        (br $blocks))))
)
`;

// prettier-ignore
export const DOT_WASM = 'AGFzbQEAAAABHwRgA39/fwBgAXsBf2AGf39/f397AGAHf39/f39/fwADBQQAAQIDBQMBAAEHGQMGbWVtb3J5AgAFd2lkZW4AAARkb3RzAAMKlwYESAIBfwF7IAAgAWohAwJAA0AgACADTw0BIAD9AAQAIQQgAiAE/YkB/QsEACACIAT9igH9CwQQIABBEGohACACQSBqIQIMAAsLCxkAIAD9GwAgAP0bAWogAP0bAiAA/RsDamoLJQAgAyACSSAEIAFJcQRAIAAgAyABbCAEakECdGogBRABNgIACwuLBQIMfwt7IARBAXQhBwJAA0AgCCABTw0BIAEgCCAGaiABIAggBmpJGyEJQQAhCgJAA0AgCiADTw0BIAIgCiAHbGohDSANIAdqIQ4gCCELAkADQCALIAlPDQEgACALIAdsaiEPIA8gB2ohECAQIAdqIREgESAHaiES/QwAAAAAAAAAAAAAAAAAAAAAIRP9DAAAAAAAAAAAAAAAAAAAAAAhFP0MAAAAAAAAAAAAAAAAAAAAACEV/QwAAAAAAAAAAAAAAAAAAAAAIRb9DAAAAAAAAAAAAAAAAAAAAAAhF/0MAAAAAAAAAAAAAAAAAAAAACEY/QwAAAAAAAAAAAAAAAAAAAAAIRn9DAAAAAAAAAAAAAAAAAAAAAAhGkEAIQwDQCANIAxq/QAEACEbIA4gDGr9AAQAIRwgDyAMav0ABAAhHSATIBsgHf26Af2uASETIBcgHCAd/boB/a4BIRcgECAMav0ABAAhHSAUIBsgHf26Af2uASEUIBggHCAd/boB/a4BIRggESAMav0ABAAhHSAVIBsgHf26Af2uASEVIBkgHCAd/boB/a4BIRkgEiAMav0ABAAhHSAWIBsgHf26Af2uASEWIBogHCAd/boB/a4BIRogDEEQaiEMIAwgB0kNAAsgBSABIAMgCiALIBMQAiAFIAEgAyAKIAtBAWogFBACIAUgASADIAogC0ECaiAVEAIgBSABIAMgCiALQQNqIBYQAiAFIAEgAyAKQQFqIAsgFxACIAUgASADIApBAWogC0EBaiAYEAIgBSABIAMgCkEBaiALQQJqIBkQAiAFIAEgAyAKQQFqIAtBA2ogGhACIAtBBGohCwwACwsgCkECaiEKDAALCyAJIQgMAAsLCw==';
