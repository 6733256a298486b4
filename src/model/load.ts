/**
 * Loading and exporting ViT encoder weights as safetensors. `load` reads ehr-msn's own files
 * (an exported encoder or a pretraining checkpoint, whose target encoder it takes), torchvision
 * `VisionTransformer` state dicts and timm `vision_transformer` state dicts.
 */
import { InputError } from "../util/errors";
import { readSafetensors, SafeTensor, writeSafetensors } from "./safetensors";
import { layerParamNames, VisionTransformer, VitConfig } from "./vit";

export interface LoadOptions {
  /**
   * Attention heads, when the file does not say (torchvision and timm files do not): default dim / 64;
   * required for a 192-wide file (ViT-Tiny: 3 heads in DeiT and timm, 6 in the authors' code).
   */
  heads?: number;
  /** Image side the position embedding was learned for; default: from its length and the patch size. */
  imageSize?: number;
}

/** Metadata key under which ehr-msn stores the ViT configuration in its safetensors files. */
export const VIT_CONFIG_KEY = "ehr_msn.vit";

/**
 * Reads a ViT encoder from a .safetensors file. Classification heads (`heads.*`, `head.*`) and, in a
 * pretraining checkpoint, everything but the target encoder are left out on purpose; any other
 * unknown tensor is an error, as is a layout this ViT cannot reproduce (LayerScale, distillation or
 * register tokens, average pooling).
 */
export function load(file: string, opts: LoadOptions = {}): VisionTransformer {
  const { tensors, metadata } = readSafetensors(file);
  const saved = metadata[VIT_CONFIG_KEY] ? (JSON.parse(metadata[VIT_CONFIG_KEY]) as VitConfig) : undefined;
  const state = torchvisionNames(tensors, file);
  const cls = state.get("class_token")!;
  const conv = state.get("conv_proj.weight");
  const pos = state.get("encoder.pos_embedding");
  if (!conv || !pos || conv.shape.length !== 4 || pos.shape.length !== 3) {
    throw new InputError({
      file,
      expected: "a patch embedding [D, C, p, p] and a position embedding [1, T, D]",
      found: `${conv ? `[${conv.shape}]` : "none"} and ${pos ? `[${pos.shape}]` : "none"}`,
    });
  }
  const dim = cls.shape[2];
  let layers = 0;
  while (state.has(`encoder.layers.encoder_layer_${layers}.ln_1.weight`)) layers++;
  const patch = conv.shape[2];
  const side = Math.sqrt(pos.shape[1] - 1);
  if (!Number.isInteger(side)) {
    throw new InputError({
      file,
      field: "encoder.pos_embedding",
      expected: "1 + side² positions (a class-token position and a square grid)",
      found: `${pos.shape[1]}`,
    });
  }
  const vit = new VisionTransformer({
    dim,
    layers,
    heads: opts.heads ?? saved?.heads ?? headsByConvention(dim, file),
    mlpDim: state.get("encoder.layers.encoder_layer_0.mlp.0.weight")?.shape[0] ?? 4 * dim,
    patch,
    channels: conv.shape[1],
    imageSize: opts.imageSize ?? side * patch,
  });
  try {
    vit.params.load(state, file);
  } catch (e) {
    vit.dispose();
    throw e;
  }
  return vit;
}

/**
 * Widths whose files are published with different head counts: ViT-Tiny has 3 heads in DeiT and timm
 * but 6 in the authors' code, and the weights alone cannot tell them apart.
 */
const AMBIGUOUS_HEADS: Record<number, readonly number[]> = { 192: [3, 6] };

/** Heads of a file that does not say: dim / 64 (torchvision's and timm's convention), refused where that is ambiguous. */
function headsByConvention(dim: number, file: string): number {
  const choices = AMBIGUOUS_HEADS[dim];
  if (choices) {
    throw new InputError({
      file,
      field: "heads",
      expected: `the number of attention heads (\`heads\` option) for a ${dim}-wide ViT`,
      found: "none in the file",
      hint: `${dim}-wide ViTs come with ${choices.join(" or ")} heads (DeiT/timm Tiny: 3; the authors' Tiny: 6); pass the one the weights were trained with.`,
    });
  }
  return Math.max(1, Math.round(dim / 64));
}

/** Writes the encoder's weights with torchvision's names (and its configuration as metadata). */
export function saveEncoder(vit: VisionTransformer, file: string): void {
  writeSafetensors(file, vit.params.read(), { format: "pt", [VIT_CONFIG_KEY]: JSON.stringify(vit.config) });
}

const TIMM_TOP: Record<string, string> = {
  cls_token: "class_token",
  pos_embed: "encoder.pos_embedding",
  "patch_embed.proj.weight": "conv_proj.weight",
  "patch_embed.proj.bias": "conv_proj.bias",
  "norm.weight": "encoder.ln.weight",
  "norm.bias": "encoder.ln.bias",
};

const TIMM_BLOCK: Record<string, string> = {
  "norm1.weight": "ln_1.weight",
  "norm1.bias": "ln_1.bias",
  "attn.qkv.weight": "self_attention.in_proj_weight",
  "attn.qkv.bias": "self_attention.in_proj_bias",
  "attn.proj.weight": "self_attention.out_proj.weight",
  "attn.proj.bias": "self_attention.out_proj.bias",
  "norm2.weight": "ln_2.weight",
  "norm2.bias": "ln_2.bias",
  "mlp.fc1.weight": "mlp.0.weight",
  "mlp.fc1.bias": "mlp.0.bias",
  "mlp.fc2.weight": "mlp.3.weight",
  "mlp.fc2.bias": "mlp.3.bias",
};

/** The encoder's tensors under torchvision's names, whatever naming the file uses. */
function torchvisionNames(tensors: Map<string, SafeTensor>, file: string): Map<string, SafeTensor> {
  const names = [...tensors.keys()];
  const tv = names.find((n) => n === "class_token" || n.endsWith(".class_token"));
  const timm = names.find((n) => n === "cls_token" || n.endsWith(".cls_token"));
  // A pretraining checkpoint holds both encoders: the target ("backbone.") is the one used downstream.
  const key = tv && names.includes("backbone.class_token") ? "backbone.class_token" : (tv ?? timm);
  if (!key) {
    throw new InputError({
      file,
      expected: "ViT weights with a class token (torchvision `class_token` or timm `cls_token`)",
      found: `${names.length} tensors (${names.slice(0, 4).join(", ")}${names.length > 4 ? ", ..." : ""})`,
    });
  }
  const prefix = key.slice(0, key.lastIndexOf(".") + 1);
  const out = new Map<string, SafeTensor>();
  const unknown: string[] = [];
  for (const [name, t] of tensors) {
    if (!name.startsWith(prefix)) continue;
    const local = name.slice(prefix.length);
    const mapped = tv ? torchvisionLocal(local) : timmLocal(local);
    if (mapped === null) continue; // a classification head
    if (mapped === undefined) unknown.push(name);
    else out.set(mapped, t);
  }
  if (unknown.length > 0) {
    throw new InputError({
      file,
      expected:
        "only the tensors of a plain ViT (patch embedding, class token, position embedding, pre-norm blocks, final norm)",
      found: `${unknown.length} other tensor(s): ${unknown.slice(0, 5).join(", ")}`,
      hint: "LayerScale, distillation or register tokens and average-pooled models are not supported.",
    });
  }
  return out;
}

/** torchvision name, or null for the classification head, or undefined when unknown. */
function torchvisionLocal(local: string): string | null | undefined {
  if (local.startsWith("heads.")) return null;
  // torchvision < 0.12 named the MLP layers linear_1 / linear_2 (it renames them on load too).
  const renamed = local.replace(/\.mlp\.linear_1\./, ".mlp.0.").replace(/\.mlp\.linear_2\./, ".mlp.3.");
  if (
    [
      "class_token",
      "conv_proj.weight",
      "conv_proj.bias",
      "encoder.pos_embedding",
      "encoder.ln.weight",
      "encoder.ln.bias",
    ].includes(renamed)
  )
    return renamed;
  const m = /^encoder\.layers\.encoder_layer_(\d+)\.(.+)$/.exec(renamed);
  return m && layerParamNames(Number(m[1])).includes(renamed) ? renamed : undefined;
}

function timmLocal(local: string): string | null | undefined {
  if (local.startsWith("head.") || local.startsWith("pre_logits.")) return null;
  if (local in TIMM_TOP) return TIMM_TOP[local];
  const m = /^blocks\.(\d+)\.(.+)$/.exec(local);
  if (m && m[2] in TIMM_BLOCK) return `encoder.layers.encoder_layer_${m[1]}.${TIMM_BLOCK[m[2]]}`;
  return undefined;
}
