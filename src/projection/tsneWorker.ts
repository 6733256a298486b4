/**
 * Worker thread of t-SNE: on each message it rebuilds the quadtree over the shared embedding and
 * computes its share of the repulsive (tree positions) and attractive (rows of P) forces into
 * shared memory. Each worker builds its own tree: that costs the same wall time as one shared
 * build and needs no locking.
 */
import { parentPort, workerData } from "worker_threads";
import { QuadTree, attraction, repulsion } from "./tsneGradient";

/** What `tsne` hands each worker (SharedArrayBuffers, so nothing is copied per step). */
export interface WorkerSetup {
  n: number;
  y: SharedArrayBuffer;
  rep: SharedArrayBuffer;
  attr: SharedArrayBuffer;
  z: SharedArrayBuffer;
  logW: SharedArrayBuffer;
  indptr: SharedArrayBuffer;
  indices: SharedArrayBuffer;
  values: SharedArrayBuffer;
  treeFrom: number;
  treeTo: number;
  rowFrom: number;
  rowTo: number;
}

if (parentPort) {
  const port = parentPort;
  const s = workerData as WorkerSetup;
  const Y = new Float64Array(s.y);
  const rep = new Float64Array(s.rep);
  const attr = new Float64Array(s.attr);
  const z = new Float64Array(s.z);
  const logW = new Float64Array(s.logW);
  const P = {
    n: s.n,
    indptr: new Int32Array(s.indptr),
    indices: new Int32Array(s.indices),
    values: new Float64Array(s.values),
  };
  const tree = new QuadTree(s.n);
  port.on("message", (m: { theta: number; withKl: boolean }) => {
    tree.build(Y);
    repulsion(tree, m.theta, s.treeFrom, s.treeTo, rep, z);
    attraction(P, Y, s.rowFrom, s.rowTo, attr, m.withKl ? logW : undefined);
    port.postMessage(0);
  });
}
