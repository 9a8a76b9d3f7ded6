def stop_keystone():
    pass
