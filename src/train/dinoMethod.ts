/**
 * DINO's step in the shared loop (facebookresearch/dino `train_one_epoch`): the teacher's outputs of
 * the two global views without gradient, the student's outputs of every view, the DINO loss and its
 * gradients, the centre's update; the teacher's EMA after the optimizer step. The batch's target and
 * anchor views are DINO's two global crops and its focal views the local crops (multi-crop).
 * Not reproduced: DINO's gradient clipping (3.0), its frozen last layer during the first epoch and
 * its weight-decay schedule.
 */
import * as tf from "@tensorflow/tfjs";
import { DinoModel } from "../model/dino";
import type { PretrainConfig } from "./config";
import { gradsByName, type TrainingMethod } from "./method";
import { checkViewBatch, vitOptionsOf, weightDecayOf } from "./msnMethod";
import { emaMomentum } from "./schedules";

/** The DINO method of a run: its model (built from `cfg`) and its step. */
export interface DinoMethod extends TrainingMethod {
  readonly model: DinoModel;
}

/** Teacher temperature of an epoch: linear from the warm-up value over the warm-up epochs (np.linspace), then constant. */
export function teacherTemperature(cfg: PretrainConfig, epoch: number): number {
  const w = cfg.dinoWarmupTeacherTempEpochs;
  if (epoch >= w) return cfg.dinoTeacherTemp;
  return w === 1
    ? cfg.dinoWarmupTeacherTemp
    : cfg.dinoWarmupTeacherTemp + ((cfg.dinoTeacherTemp - cfg.dinoWarmupTeacherTemp) * epoch) / (w - 1);
}

export function dinoMethod(cfg: PretrainConfig): DinoMethod {
  const model = new DinoModel({
    vit: vitOptionsOf(cfg),
    outDim: cfg.dinoOutDim,
    hiddenDim: cfg.dinoHiddenDim,
    bottleneckDim: cfg.dinoBottleneckDim,
    seed: cfg.seed,
  });
  const trained = model.trainableParams();
  const varList = trained.map(([, v]) => v);
  const momentumAt = (step: number, totalSteps: number) =>
    emaMomentum(
      {
        momentum: cfg.momentum,
        schedule: cfg.momentumSchedule,
        momentumEnd: cfg.momentumEnd,
        stretch: cfg.scheduleStretch,
      },
      step,
      totalSteps,
    );
  return {
    model,
    encoder: model.teacher,
    trained,
    weightDecay: weightDecayOf(cfg, model.namedParams()),
    state: () => model.state(),
    loadState: (values, source) => model.loadState(values, source),
    imagesPerBatch: (batch) => batch.target.shape[0] * (2 + cfg.focalViews),
    checkBatch: (batch, thorough) => checkViewBatch(batch, cfg, thorough),
    beginStep: (at) => ({ momentum: momentumAt(at.step, at.totalSteps) }),
    microStep(batch, epoch) {
      const views = { global1: batch.target, global2: batch.anchor, local: batch.focal };
      const teacherOut = model.teacherOutputs(views);
      try {
        const options = { studentTemp: cfg.dinoStudentTemp, teacherTemp: teacherTemperature(cfg, epoch) };
        const { value, grads } = tf.variableGrads(() => model.studentLoss(views, teacherOut, options), varList);
        const loss = value.dataSync()[0];
        value.dispose();
        model.updateCenter(teacherOut, cfg.dinoCenterMomentum);
        return { loss, grads: gradsByName(grads, trained) };
      } finally {
        teacherOut.dispose();
      }
    },
    // DINO moves the teacher after the optimizer step.
    endStep: (at) => model.emaUpdate(momentumAt(at.step, at.totalSteps)),
    dispose: () => model.dispose(),
  };
}
