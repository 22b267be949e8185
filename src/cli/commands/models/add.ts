import { addEntry, commonMetadata, commonOptions } from '../datasets/add.js'
import { entryLine, list } from '../datasets/shared.js'
import type { AddOptions } from '../datasets/add.js'
import type { Action } from '../../context.js'
import type { Command } from 'commander'

interface ModelOptions extends AddOptions {
  framework?: string
  task?: string
  entrypoint?: string
  inputFormat?: string
  labels?: string
}

export function registerAdd (group: Command, action: Action): void {
  commonOptions(group.command('add')
    .argument('<path>', 'a model file or a directory')
    .description('register a model with what an evaluation needs (framework, task, input format)'))
    .option('--framework <framework>', 'e.g. transformers, pytorch, tensorflow, onnx, sklearn')
    .option('--task <task>', 'e.g. image-classification, text-classification, regression')
    .option('--entrypoint <file>', 'the file an evaluation loads or runs')
    .option('--input-format <format>', 'format of the data it takes (matched against datasets\' --format)')
    .option('--labels <labels>', 'comma-separated output labels of a classifier')
    .addHelpText('after', "\nExample:\n  $ paip models add ./vit --name vit-base --framework transformers --task image-classification --tags '#vision'")
    .action(action(async (ctx, input: string, options: ModelOptions) => {
      const metadata = {
        ...commonMetadata(options),
        framework: options.framework,
        task: options.task,
        entrypoint: options.entrypoint,
        inputFormat: options.inputFormat,
        labels: list(options.labels)
      }
      const entry = await addEntry(ctx, 'model', input, metadata, options.upload === true)
      return { data: entry, text: [`added ${entryLine(entry)}`, `manifest ${entry.manifest}`] }
    }))
}
