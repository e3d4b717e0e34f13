package io.ncf.cuda;

import org.bytedeco.javacpp.Pointer;

/** A JavaCPP pointer holding a raw address (a device address for cuBLAS/NCCL, or a slot address for launches). */
final class DevicePointer extends Pointer {
    DevicePointer(long address) { this.address = address; }
}
