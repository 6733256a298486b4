/**
 * The settings shared by the tutorial notebooks: one study whose run folder (`runs/tutorial/`)
 * carries the data, the image cache, the checkpoints and the probe results from one notebook to
 * the next. Change data or sizes here and every notebook follows.
 */
import { pipeline } from "ehr-msn";

/** Your MIMIC folders (MIMIC-CXR-JPG 2.0.0 and MIMIC-IV), or undefined for the synthetic cohort. */
export type MimicFolders = { mimicCxr: string; mimicIv: string } | undefined;

/** The test suite runs the tutorials with EHR_MSN_QUICK=1: a tiny cohort and a tiny ViT. */
export const QUICK = process.env.EHR_MSN_QUICK === "1";

/** The study of the tutorials, opened in ../runs (relative to this folder). */
export function openTutorial(mimic: MimicFolders): pipeline.Study {
  const models = [
    { name: "MSN", features: [] as string[] },
    { name: "MSN+demographics", features: "socio-norm" },
  ];
  const sizes = QUICK
    ? {
        data: { synth: { patients: 80, imageLongSide: 128 } },
        // A patient-level random split with larger validate and test sets than MIMIC's official one.
        cohort: { split: { validate: 0.2, test: 0.2, seed: 1 } },
        cacheShortSide: 40,
        pretrain: {
          vit: "tiny",
          dim: 48,
          layers: 2,
          heads: 3,
          imageSize: 48,
          focalSize: 32,
          batchSize: 16,
          epochs: 1,
          numPrototypes: 64,
        },
        probe: { maxEpochs: 5, patience: 5, bootstrap: 200, augment: false },
        tsne: { perplexity: 10, maxPoints: 300 },
      }
    : {
        // The demo's sizes (pipeline.DEMO_CONFIG): about 2,000 images and a 6-block ViT-Tiny, minutes on 2 cores.
        ...pipeline.DEMO_CONFIG,
      };
  return pipeline.Study.open({
    ...sizes,
    name: mimic ? "tutorial-mimic" : QUICK ? "tutorial-quick" : "tutorial",
    runsDir: `${__dirname}/../runs`,
    // At MIMIC's size the authors' probe: the demo's converged logistic probe is for thousands of images.
    ...(mimic
      ? {
          data: mimic,
          cacheShortSide: 256,
          pretrain: { vit: "tiny", epochs: 100 },
          probe: pipeline.STUDY_DEFAULTS.probe,
        }
      : {}),
    models,
    baseline: "MSN",
  });
}
