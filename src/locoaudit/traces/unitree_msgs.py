"""Unitree `unitree_go` ROS 2 message types for `rosbags`, from their .msg definitions.

Field lists as published in unitreerobotics/unitree_ros2 (BSD-3-Clause, commit eea2719,
cyclonedds_ws/src/unitree/unitree_go/msg/*.msg). CDR decoding depends on the exact field order
and types, so they are spelled out here rather than guessed; the test suite round-trips them.
"""

from __future__ import annotations

from functools import cache

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

MSGS = {
    "unitree_go/msg/IMUState": """
float32[4] quaternion
float32[3] gyroscope
float32[3] accelerometer
float32[3] rpy
int8 temperature
""",
    "unitree_go/msg/MotorState": """
uint8 mode
float32 q
float32 dq
float32 ddq
float32 tau_est
float32 q_raw
float32 dq_raw
float32 ddq_raw
int8 temperature
uint32 lost
uint32[2] reserve
""",
    "unitree_go/msg/BmsState": """
uint8 version_high
uint8 version_low
uint8 status
uint8 soc
int32 current
uint16 cycle
int8[2] bq_ntc
int8[2] mcu_ntc
uint16[15] cell_vol
""",
    "unitree_go/msg/LowState": """
uint8[2] head
uint8 level_flag
uint8 frame_reserve
uint32[2] sn
uint32[2] version
uint16 bandwidth
IMUState imu_state
MotorState[20] motor_state
BmsState bms_state
int16[4] foot_force
int16[4] foot_force_est
uint32 tick
uint8[40] wireless_remote
uint8 bit_flag
float32 adc_reel
int8 temperature_ntc1
int8 temperature_ntc2
float32 power_v
float32 power_a
uint16[4] fan_frequency
uint32 reserve
uint32 crc
""",
    "unitree_go/msg/MotorCmd": """
uint8 mode
float32 q
float32 dq
float32 tau
float32 kp
float32 kd
uint32[3] reserve
""",
    "unitree_go/msg/BmsCmd": """
uint8 off
uint8[3] reserve
""",
    "unitree_go/msg/LowCmd": """
uint8[2] head
uint8 level_flag
uint8 frame_reserve
uint32[2] sn
uint32[2] version
uint16 bandwidth
MotorCmd[20] motor_cmd
BmsCmd bms_cmd
uint8[40] wireless_remote
uint8[12] led
uint8[2] fan
uint8 gpio
uint32 reserve
uint32 crc
""",
}


@cache
def typestore() -> Typestore:
    """ROS 2 Humble's standard types plus the Unitree Go types above."""
    store = get_typestore(Stores.ROS2_HUMBLE)
    types = {}
    for name, text in MSGS.items():
        types.update(get_types_from_msg(text, name))
    store.register(types)
    return store
