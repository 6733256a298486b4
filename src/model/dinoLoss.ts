/**
 * DINO's loss (facebookresearch/dino `DINOLoss`): the teacher's outputs of the two global views,
 * centred and sharpened by the teacher temperature, as targets for the student's outputs of every
 * other view at the student temperature; the mean cross-entropy over those (teacher view, student
 * view) pairs. The centre is an EMA of the teacher's batch mean (`dinoCenter`).
 */
import * as tf from "@tensorflow/tfjs";

export interface DinoLossOptions {
  /** Student temperature (0.1). */
  studentTemp: number;
  /** Teacher temperature of this epoch (0.04; warmed up from `warmupTeacherTemp` in DINO). */
  teacherTemp: number;
}

/**
 * studentOut [V·B, K] (view-major: the two global views first), teacherOut [2·B, K], center [1, K].
 * Compute the teacher's outputs outside the gradient tape: they are targets, not differentiated.
 */
export function dinoLoss(
  studentOut: tf.Tensor2D,
  teacherOut: tf.Tensor2D,
  center: tf.Tensor2D,
  options: DinoLossOptions,
): tf.Scalar {
  return tf.tidy(() => {
    const b = teacherOut.shape[0] / 2;
    const views = studentOut.shape[0] / b;
    const logp = tf.logSoftmax(tf.div(studentOut, options.studentTemp));
    const q = tf.softmax(tf.div(tf.sub(teacherOut, center), options.teacherTemp));
    let total: tf.Tensor = tf.scalar(0);
    let terms = 0;
    for (let iq = 0; iq < 2; iq++) {
      const qi = q.slice([iq * b, 0], [b, -1]);
      for (let v = 0; v < views; v++) {
        if (v === iq) continue;
        const ce = tf.neg(tf.sum(tf.mul(qi, logp.slice([v * b, 0], [b, -1])), 1));
        total = tf.add(total, tf.mean(ce));
        terms++;
      }
    }
    return tf.div(total, terms) as tf.Scalar;
  });
}

/** The centre's EMA update: center · m + mean(teacherOut) · (1 − m), [1, K]. */
export function dinoCenter(center: tf.Tensor2D, teacherOut: tf.Tensor2D, momentum: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(center, momentum), tf.mul(tf.mean(teacherOut, 0, true), 1 - momentum)));
}
