/** ViT, masking, projection heads, prototypes, MSN loss, EHR fusion, DINO and MAE, and ViT weights in safetensors. */
export type { Encoder } from "./encoder";
export { vit, vitConfig, VisionTransformer, VIT_SIZES } from "./vit";
export type { VitOptions, VitConfig, VitSize, ForwardOptions } from "./vit";
export { MsnModel } from "./msn";
export type { MsnModelOptions, AnchorInputs } from "./msn";
export { ProjectionHead } from "./heads";
export { EhrFusion } from "./fusion";
export { DinoModel } from "./dino";
export type { DinoModelOptions, DinoViews } from "./dino";
export { DinoHead } from "./dinoHead";
export type { DinoHeadOptions } from "./dinoHead";
export { dinoLoss, dinoCenter } from "./dinoLoss";
export type { DinoLossOptions } from "./dinoLoss";
export { MaeModel, patchify } from "./mae";
export type { MaeModelOptions } from "./mae";
export { MaeDecoder } from "./maeDecoder";
export type { MaeDecoderOptions } from "./maeDecoder";
export { maeRandomMask } from "./maeMasking";
export type { MaeMask } from "./maeMasking";
export type { EhrFusionOptions } from "./fusion";
export type { ProjectionHeadOptions } from "./heads";
export {
  msnLoss,
  prototypeProbabilities,
  sharpen,
  sinkhorn,
  meMax,
  targetProbabilities,
  MSN_LOSS_DEFAULTS,
} from "./loss";
export type { MsnLossOptions } from "./loss";
export { randomTokenMask, batchTokenMask } from "./masking";
export type { TokenMask, MaskCount } from "./masking";
export { load, saveEncoder } from "./load";
export type { LoadOptions } from "./load";
export { readSafetensors, writeSafetensors } from "./safetensors";
export type { SafeTensor, SafeTensorsFile, TensorToWrite } from "./safetensors";
