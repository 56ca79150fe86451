// libmosquitto (Debian: libmosquitto-dev), the MQTT client library used by CantineMQTT.
#include <mosquitto.h>
#include <mqtt_protocol.h>
