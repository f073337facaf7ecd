/**
 * WebAssembly SIMD kernels: the `wasm` engine's dot products (i16 rows,
 * i32x4.dot_i16x8_s over a 2-reference × 4-query register tile) and the
 * top-k prefilter every engine's output goes through.
 * `DOT_WASM` is `DOT_WAT` assembled by wabt; a test checks they agree, and
 * `npx tsx bench/build-wasm.ts` rewrites the base64 after an edit.
 */
import { wasmInstances, type WasmMemory } from '../wasm';

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
  ;; Top-k prefilter. For rows [$j, $nr) of $y (i32, row stride $nq), writes
  ;; the pair (row, column) as two i32 to $out for every value with
  ;; c[row] - 2*y < thr[column]; stops before a row that might overflow $cap
  ;; pairs. $thr holds $nq rounded up to 4 entries, the padding INT32_MIN, and
  ;; $y must be readable 12 bytes past its end. Stores the pair count at
  ;; $countAt and returns the next row.
  (func (export "filter") (param $y i32) (param $nr i32) (param $nq i32) (param $c i32) (param $thr i32) (param $out i32) (param $cap i32) (param $j i32) (param $countAt i32) (result i32)
    (local $n i32) (local $i i32) (local $row i32) (local $bits i32) (local $at i32) (local $cv v128) (local $m v128)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $j) (local.get $nr)))
        (br_if $done (i32.gt_u (i32.add (local.get $n) (local.get $nq)) (local.get $cap)))
        (local.set $cv (i32x4.splat (i32.load (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $row (i32.add (local.get $y) (i32.shl (i32.mul (local.get $j) (local.get $nq)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $rowDone
          (loop $cols
            (br_if $rowDone (i32.ge_u (local.get $i) (local.get $nq)))
            (local.set $m (i32x4.lt_s
              (i32x4.sub (local.get $cv) (i32x4.shl (v128.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 1)))
              (v128.load (i32.add (local.get $thr) (i32.shl (local.get $i) (i32.const 2))))))
            (if (v128.any_true (local.get $m))
              (then
                (local.set $bits (i32x4.bitmask (local.get $m)))
                (local.set $at (local.get $i))
                (loop $lanes
                  (if (i32.and (local.get $bits) (i32.const 1))
                    (then
                      (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))) (local.get $j))
                      (i32.store offset=4 (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))) (local.get $at))
                      (local.set $n (i32.add (local.get $n) (i32.const 1)))))
                  (local.set $bits (i32.shr_u (local.get $bits) (i32.const 1)))
                  (local.set $at (i32.add (local.get $at) (i32.const 1)))
                  (br_if $lanes (local.get $bits)))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $cols)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $rows)))
    (i32.store (local.get $countAt) (local.get $n))
    (local.get $j))
)
`;

// prettier-ignore
export const DOT_WASM = 'AGFzbQEAAAABLAVgA39/fwBgAXsBf2AGf39/f397AGAHf39/f39/fwBgCX9/f39/f39/fwF/AwYFAAECAwQFAwEAAQciBAZtZW1vcnkCAAV3aWRlbgAABGRvdHMAAwZmaWx0ZXIABAr0BwVIAgF/AXsgACABaiEDAkADQCAAIANPDQEgAP0ABAAhBCACIAT9iQH9CwQAIAIgBP2KAf0LBBAgAEEQaiEAIAJBIGohAgwACwsLGQAgAP0bACAA/RsBaiAA/RsCIAD9GwNqagslACADIAJJIAQgAUlxBEAgACADIAFsIARqQQJ0aiAFEAE2AgALC4sFAgx/C3sgBEEBdCEHAkADQCAIIAFPDQEgASAIIAZqIAEgCCAGakkbIQlBACEKAkADQCAKIANPDQEgAiAKIAdsaiENIA0gB2ohDiAIIQsCQANAIAsgCU8NASAAIAsgB2xqIQ8gDyAHaiEQIBAgB2ohESARIAdqIRL9DAAAAAAAAAAAAAAAAAAAAAAhE/0MAAAAAAAAAAAAAAAAAAAAACEU/QwAAAAAAAAAAAAAAAAAAAAAIRX9DAAAAAAAAAAAAAAAAAAAAAAhFv0MAAAAAAAAAAAAAAAAAAAAACEX/QwAAAAAAAAAAAAAAAAAAAAAIRj9DAAAAAAAAAAAAAAAAAAAAAAhGf0MAAAAAAAAAAAAAAAAAAAAACEaQQAhDANAIA0gDGr9AAQAIRsgDiAMav0ABAAhHCAPIAxq/QAEACEdIBMgGyAd/boB/a4BIRMgFyAcIB39ugH9rgEhFyAQIAxq/QAEACEdIBQgGyAd/boB/a4BIRQgGCAcIB39ugH9rgEhGCARIAxq/QAEACEdIBUgGyAd/boB/a4BIRUgGSAcIB39ugH9rgEhGSASIAxq/QAEACEdIBYgGyAd/boB/a4BIRYgGiAcIB39ugH9rgEhGiAMQRBqIQwgDCAHSQ0ACyAFIAEgAyAKIAsgExACIAUgASADIAogC0EBaiAUEAIgBSABIAMgCiALQQJqIBUQAiAFIAEgAyAKIAtBA2ogFhACIAUgASADIApBAWogCyAXEAIgBSABIAMgCkEBaiALQQFqIBgQAiAFIAEgAyAKQQFqIAtBAmogGRACIAUgASADIApBAWogC0EDaiAaEAIgC0EEaiELDAALCyAKQQJqIQoMAAsLIAkhCAwACwsL2wECBX8CewJAA0AgByABTw0BIAkgAmogBksNASADIAdBAnRqKAIA/REhDiAAIAcgAmxBAnRqIQtBACEKAkADQCAKIAJPDQEgDiALIApBAnRq/QAEAEEB/asB/bEBIAQgCkECdGr9AAQA/TkhDyAP/VMEQCAP/aQBIQwgCiENA0AgDEEBcQRAIAUgCUEDdGogBzYCACAFIAlBA3RqIA02AgQgCUEBaiEJCyAMQQF2IQwgDUEBaiENIAwNAAsLIApBBGohCgwACwsgB0EBaiEHDAALCyAIIAk2AgAgBws=';

export interface DotExports {
  memory: WasmMemory;
  widen(src: number, bytes: number, dst: number): void;
  dots(q: number, nq: number, r: number, nr: number, d: number, out: number, qblock: number): void;
  filter(y: number, nr: number, nq: number, c: number, thr: number, out: number, cap: number, j: number, countAt: number): number;
}

/** A new instance (with its own memory) of the kernels; the module is compiled once per thread. */
export const instantiateDot = wasmInstances<DotExports>(DOT_WASM);
