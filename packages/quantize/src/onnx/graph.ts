/**
 * A small ONNX graph builder: initializers, nodes with attributes, typed inputs/outputs and intermediate shapes
 * (`value_info`), serialised with protobufjs.
 */
import { AttrType, DataType, onnxTypes } from './onnx-proto';

export type Dim = number | string;
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

interface TensorProtoJs {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

export class GraphBuilder {
  readonly nodes: Record<string, unknown>[] = [];
  readonly initializers: TensorProtoJs[] = [];
  readonly inputs: Record<string, unknown>[] = [];
  readonly outputs: Record<string, unknown>[] = [];
  readonly valueInfo: Record<string, unknown>[] = [];
  private counter = 0;
  private readonly names = new Set<string>();

  /** A fresh value name with the given stem. */
  name(stem: string): string {
    let n = stem;
    while (this.names.has(n)) n = `${stem}_${++this.counter}`;
    this.names.add(n);
    return n;
  }

  initializer(name: string, dataType: number, dims: number[], data: ArrayBufferView): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name: this.name(name), dims, data_type: dataType, raw_data: Uint8Array.from(bytes) });
    return this.initializers[this.initializers.length - 1].name;
  }

  float(name: string, dims: number[], data: Float32Array): string {
    return this.initializer(name, DataType.FLOAT, dims, data);
  }

  int64(name: string, values: number[]): string {
    return this.initializer(name, DataType.INT64, [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  scalar(name: string, value: number): string {
    return this.float(name, [], Float32Array.of(value));
  }

  /** Adds a node; returns its output names. */
  node(opType: string, inputs: string[], outputs: string[] | number, attrs: Record<string, AttrValue> = {}, domain = ''): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.name(opType.toLowerCase())) : outputs.map((o) => this.name(o));
    this.nodes.push({
      op_type: opType,
      input: inputs,
      output: outs,
      name: this.name(`${opType}_node`),
      domain,
      attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
    });
    return outs;
  }

  /** Single-output node. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, stem?: string, domain = ''): string {
    return this.node(opType, inputs, [stem ?? opType.toLowerCase()], attrs, domain)[0];
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** A graph output; `dims` omitted leaves its shape to inference. */
  output(name: string, elemType: number, dims?: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Records the shape of an intermediate value (helps ONNX Runtime's fusions). */
  shape(name: string, elemType: number, dims: Dim[]): void {
    this.valueInfo.push(valueInfo(name, elemType, dims));
  }

  toBytes(meta: { graphName: string; producer: string; opset: number; msOpset?: number; metadata?: Record<string, string> }): Uint8Array {
    const { ModelProto } = onnxTypes();
    const opsets = [{ domain: '', version: meta.opset }];
    if (meta.msOpset) opsets.push({ domain: 'com.microsoft', version: meta.msOpset });
    const model = {
      ir_version: 8,
      producer_name: meta.producer,
      producer_version: '0.1.0',
      opset_import: opsets,
      graph: { name: meta.graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs, value_info: this.valueInfo },
      metadata_props: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
    const err = ModelProto.verify(model);
    if (err) throw new Error(`ONNX model does not verify: ${err}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}

function valueInfo(name: string, elemType: number, dims?: Dim[]) {
  const shape = dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } : {};
  return { name, type: { tensor_type: { elem_type: elemType, ...shape } } };
}

function attribute(name: string, v: AttrValue) {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AttrType.INT, i: v } : { name, type: AttrType.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: Buffer.from(v, 'utf8') };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  return { name, type: AttrType.FLOATS, floats: v.floats };
}
