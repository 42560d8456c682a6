// merkle: RFC 6962 / RFC 9162 tree hashing and the verification of inclusion and consistency
// proofs (RFC 9162 sections 2.1.3.2 and 2.1.4.2), with BigInt indices so trees past 2^32 work.
import { concatBytes, bytesEqual, sha256 } from './bytes.js';

export async function merkleLeafHash(data) {
  return sha256(concatBytes(new Uint8Array([0]), data));
}

async function merkleNode(left, right) {
  return sha256(concatBytes(new Uint8Array([1]), left, right));
}

// The root an inclusion proof leads to; throws when the proof has the wrong length.
export async function merkleRootFromInclusion(index, size, leafHashBytes, proof) {
  index = BigInt(index);
  size = BigInt(size);
  if (index >= size) throw new Error(`index ${index} is not below the tree size ${size}`);
  let fn = index, sn = size - 1n, r = leafHashBytes;
  for (const p of proof) {
    if (sn === 0n) throw new Error('the proof has more hashes than the tree has levels');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await merkleNode(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await merkleNode(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('the proof has fewer hashes than the tree needs');
  return r;
}

export async function merkleVerifyInclusion(index, size, leafHashBytes, proof, root) {
  return bytesEqual(await merkleRootFromInclusion(index, size, leafHashBytes, proof), root);
}

// True when the tree (second, secondRoot) extends (first, firstRoot); throws on a malformed proof.
export async function merkleVerifyConsistency(first, second, firstRoot, secondRoot, proof) {
  first = BigInt(first);
  second = BigInt(second);
  if (first > second) throw new Error('the first tree is larger than the second');
  if (first === second) return proof.length === 0 && bytesEqual(firstRoot, secondRoot);
  if (first === 0n) return proof.length === 0; // the empty tree is a prefix of every tree
  if (proof.length === 0) throw new Error('the consistency proof is empty');
  const path = (first & (first - 1n)) === 0n ? [firstRoot, ...proof] : proof.slice();
  let fn = first - 1n, sn = second - 1n;
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new Error('the consistency proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = await merkleNode(c, fr);
      sr = await merkleNode(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      sr = await merkleNode(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && bytesEqual(fr, firstRoot) && bytesEqual(sr, secondRoot);
}
