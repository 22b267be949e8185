/** Seed 004's example shape: an image-processing pipeline of two python3 algorithms, the second the entrypoint, two tests. */
export function exampleWorkflow (source: string): any {
  return {
    source_info: { cluster_address: source },
    test_info: {
      entrypoint: 'image_pipeline',
      tests: [
        { name: 'bright square', payload: { image: [[0, 0, 0, 0], [0, 9, 9, 0], [0, 9, 9, 0], [0, 0, 0, 0]], threshold: 2 }, timeout: 60 },
        { name: 'dark image', payload: { image: [[0, 1], [1, 0]], threshold: 5 } }
      ]
    },
    algorithms: [
      {
        name: 'smooth_image',
        code_path: 'data://.my/algo_code/smooth_image.tar.gz',
        language: 'python3',
        data_files: ['data://.my/image_models/kernel.json'],
        test_payload: { image: [[0, 3, 0], [3, 3, 3]] }
      },
      {
        name: 'image_pipeline',
        code_path: 'data://.my/algo_code/image_pipeline.tar.gz',
        language: 'python3',
        data_files: ['data://.my/image_models/labels.json'],
        test_payload: { image: [[5, 5], [0, 0]], threshold: 1 }
      }
    ]
  }
}

const loadData = `import json, os
def data(collection, name):
    with open(os.path.join(os.environ["PAIP_ALGO_DATA_DIR"], os.environ["PAIP_ALGO_OWNER"], collection, name)) as f:
        return json.load(f)
`

/** The two algorithms' code (path → text), and the data files. */
export const PIPELINE = {
  smooth_image: {
    'requirements.txt': '',
    'src/smooth_image.py': loadData + `
def apply(input):
    kernel = data("image_models", "kernel.json")["kernel"]
    k = len(kernel) // 2
    out = []
    for row in input["image"]:
        out.append([sum(kernel[j + k] * row[i + j] for j in range(-k, k + 1) if 0 <= i + j < len(row)) / sum(kernel) for i in range(len(row))])
    return {"image": out}
`
  },
  image_pipeline: {
    'requirements.txt': '',
    'src/image_pipeline.py': loadData + `
def apply(input):
    image = input.get("image")
    if not isinstance(image, list) or len(image) == 0:
        raise ValueError("image must be a non-empty list of rows")
    labels = data("image_models", "labels.json")
    bright = sum(1 for row in image for v in row if v > input.get("threshold", 0))
    return {"label": labels["bright"] if bright > 0 else labels["dark"], "bright_pixels": bright}
`
  },
  broken_pipeline: {
    'src/image_pipeline.py': `
def apply(input):
    raise RuntimeError("segmentation model weights missing: cannot segment")
`
  }
}

export const DATA_FILES = {
  'kernel.json': JSON.stringify({ kernel: [1, 2, 1] }),
  'labels.json': JSON.stringify({ bright: 'object', dark: 'background' })
}
